#!/usr/bin/env node
import { runStatsCommand } from '../commands/stats-command.js';

process.exitCode = await runStatsCommand(process.argv.slice(2), process);
