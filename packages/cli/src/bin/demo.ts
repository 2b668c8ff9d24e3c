#!/usr/bin/env node
import { runDemoCommand } from '../commands/demo-command.js';

process.exitCode = await runDemoCommand(process.argv.slice(2), process);
