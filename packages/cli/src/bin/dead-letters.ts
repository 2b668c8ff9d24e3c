#!/usr/bin/env node
import { runDeadLettersCommand } from '../commands/dead-letters-command.js';

process.exitCode = await runDeadLettersCommand(process.argv.slice(2), process);
