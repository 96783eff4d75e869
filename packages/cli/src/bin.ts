#!/usr/bin/env node
// The `stratum` command. All the work is in runCli (tested directly); this only wires the process.
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
