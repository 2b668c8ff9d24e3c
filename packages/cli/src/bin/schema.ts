#!/usr/bin/env node
import { runSchemaCommand } from '../commands/schema-command.js';

process.exitCode = await runSchemaCommand(process.argv.slice(2), process);
