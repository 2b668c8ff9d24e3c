/**
 * Run as its own process by the spool lock test, with an IPC channel: on `{ open: directory }` it
 * tries `DurableSpool.open` and answers `{ won: boolean }`, holding what it won until `{ close }`.
 */
import { DurableSpool } from '@aitdr/exporter';

type Command = { open: string } | { close: true };

let held: DurableSpool | undefined;
process.on('message', (command: Command) => {
  void (async () => {
    if ('open' in command) {
      try {
        held = await DurableSpool.open({ directory: command.open, maxBytes: 1 << 20 });
        process.send!({ won: true });
      } catch (error) {
        process.send!({ won: false, error: (error as Error).message });
      }
    } else {
      await held?.close();
      held = undefined;
      process.send!({ closed: true });
    }
  })();
});
process.send!({ ready: true });
