import pino, { type Logger } from 'pino';

/** pino JSON logs; anything that could carry a secret is redacted wherever it appears. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'stint' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          '*.token',
          '*.password',
          '*.secret',
          '*.connectionString',
          'token',
          'password',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
