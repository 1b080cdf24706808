#!/usr/bin/env node
import { Metadata } from '@grpc/grpc-js';
import { GatewayClient } from '#gen/callscribe/v1/gateway.js';
import { clientConnection } from '#common/client-options.js';
import { formatHelp, OptionError, parseOptions, unknownCommand } from '#common/options.js';
import { redactText, registerSecretsFromEnv } from '#common/redact.js';
import { packageVersion } from '#common/version.js';
import { cliOptions, USAGE } from './cli-options.js';
import { describeError } from './error-message.js';
import { transcribeCommand } from './transcribe-command.js';

const COMMANDS = ['transcribe', 'stats'];

// A reader that stops early (`| head`) closes the pipe: that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

let target = '';

async function main(argv: string[]): Promise<number> {
  registerSecretsFromEnv();
  const args = parseOptions(cliOptions, argv);
  const [command, ...inputs] = args.positionals;
  if (args.version) {
    process.stdout.write(`callscribe ${packageVersion()}\n`);
    return 0;
  }
  if (args.help || command === undefined) {
    process.stdout.write(formatHelp(USAGE, cliOptions));
    return command === undefined && !args.help ? 2 : 0;
  }
  if (!COMMANDS.includes(command)) throw unknownCommand('callscribe', command, COMMANDS);
  const o = args.values;
  target = o.target;
  if (command === 'stats' && inputs.length > 0)
    throw new OptionError(`unexpected argument "${inputs[0]}"; ${USAGE.split('\n\n')[0]}`);
  if (command === 'transcribe' && inputs.length === 0)
    throw new OptionError(`transcribe needs a FILE; ${USAGE.split('\n\n')[0]}`);
  const connection = clientConnection(o);
  const client = new GatewayClient(o.target, connection.credentials, connection.options);
  try {
    if (command === 'stats') {
      const stats = await new Promise((resolve, reject) =>
        client.getServerStats({}, new Metadata(), { deadline: Date.now() + 5000 }, (err, s) =>
          err !== null ? reject(err) : resolve(s),
        ),
      );
      process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
      return 0;
    }
    return await transcribeCommand(client, inputs, o, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(redactText(text)),
    });
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof OptionError ? err.message : describeError(err, target);
    process.stderr.write(redactText(`callscribe: ${message}\n`));
    process.exit(1);
  },
);
