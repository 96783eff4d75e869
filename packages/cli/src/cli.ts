#!/usr/bin/env node
// The `stratum` binary: the only place that exits the process. Everything else returns data.
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), process);
