#!/usr/bin/env node
import { runDeleteCommand } from '../commands/delete-command.js';

process.exitCode = await runDeleteCommand(process.argv.slice(2), process);
