#!/usr/bin/env node
import { runExportCommand } from '../commands/export-command.js';

process.exitCode = await runExportCommand(process.argv.slice(2), process);
