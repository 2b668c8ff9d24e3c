/**
 * Run as its own process by the spool's group-commit test: opens the spool in argv[2], appends the
 * records in argv[3…] as a burst, acknowledges the first two, then the next two as a burst (one
 * group), prints the fsyncs made, and dies by SIGKILL without closing anything.
 */
import { DurableSpool } from '@aitdr/exporter';

const [directory, ...records] = process.argv.slice(2);
const spool = await DurableSpool.open({ directory: directory!, maxBytes: 1 << 20 });
await Promise.all(records.map((record) => spool.append([record])));
await spool.read();
await spool.acknowledge(2);
await Promise.all([spool.acknowledge(3), spool.acknowledge(4)]);
process.stdout.write(`${spool.syncs}\n`);
process.kill(process.pid, 'SIGKILL');
