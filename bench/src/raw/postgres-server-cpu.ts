/**
 * The CPU time of a local PostgreSQL server's backends connected to one database, read from
 * Linux's process accounting (a backend's title names its database): the server's work for the
 * writer measured, not for other databases on the same server. Shares the cores with the collector
 * and the raw insert, so its work per trace is part of what limits either rate. Only live backends
 * count: read it while the connections measured are open. Undefined when the server is not a
 * local process this user can read (another host, another OS, hidden /proc).
 */
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Clock ticks of 1/100 s (USER_HZ, fixed at 100 for user space) to ms. */
const TICK_MS = 10;

export interface PostgresServerCpu {
  /** The CPU so far (ms) of the database's live backends. */
  read(): number;
}

/** Finds the postmaster as the parent of a backend of `connectionString`; undefined when it cannot be read. */
export async function postgresServerCpu(connectionString: string): Promise<PostgresServerCpu | undefined> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  let postmaster: string | undefined;
  try {
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // Read while the backend lives. Field 2 (after the name) is the parent's PID: the postmaster.
    postmaster = statFields(String(backend))?.[1];
  } finally {
    await client.end();
  }
  if (postmaster === undefined) return undefined;
  // A backend's title: "postgres: <cluster>: <user> <database> <client> <activity>".
  const database = ` ${decodeURIComponent(new URL(connectionString).pathname.slice(1))} `;
  const read = (): number => {
    let ticks = 0;
    for (const pid of readdirSync('/proc')) {
      if (pid.charCodeAt(0) > 57) continue; // not a process
      const fields = statFields(pid);
      if (fields?.[1] !== postmaster) continue;
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(database)) continue;
      } catch {
        continue; // exited meanwhile
      }
      // utime and stime: the 12th and 13th fields after the name.
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks * TICK_MS;
  };
  return statFields(postmaster) === undefined ? undefined : { read };
}
