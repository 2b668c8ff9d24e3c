/**
 * Run as its own process by the spool tests: opens the spool in argv[2], appends the records in
 * argv[3…], acknowledges the first, and dies by SIGKILL without closing anything.
 */
import { DurableSpool } from '@aitdr/exporter';

const [directory, ...records] = process.argv.slice(2);
const spool = await DurableSpool.open({ directory: directory!, maxBytes: 1 << 20 });
await spool.append(records);
await spool.read({ records: 1 });
await spool.acknowledge(1);
process.kill(process.pid, 'SIGKILL');
