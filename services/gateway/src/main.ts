#!/usr/bin/env node
import { runService } from '#common/service-main.js';
import { gatewayHelp, gatewayOptions } from './config.js';
import { startGateway } from './server.js';

await runService('gateway', gatewayOptions, gatewayHelp, startGateway);
