import { loadConfig } from './config/load-config.js';
import { ConfigError } from './errors.js';
import { findOrStartLocalRedis, type LocalRedis } from './redis/local-redis.js';
import { createAuditLog } from './audit/audit-log.js';
import { createLogger } from './logging.js';
import { createRelay, type Relay } from './relay.js';

/**
 * The process entry: read config once, wire the relay, listen, and turn
 * SIGTERM/SIGINT into a graceful close. Only this file exits the process.
 */
async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // One line naming what to fix: the operator's mistake, not the program's, so no stack.
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const { config, generatedAdminToken } = loaded;
  const logger = createLogger(config.logLevel);
  if (generatedAdminToken) {
    // Printed once, to the terminal of whoever started a development relay.
    process.stderr.write(`\n  ADMIN_TOKEN not set; generated for this run: ${generatedAdminToken}\n\n`);
  }

  // Filled in as startup proceeds: a signal during startup closes what is running so far.
  const running: { localRedis?: LocalRedis; relay?: Relay } = {};
  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.worker.shutdownGraceMs + 10_000);
    force.unref();
    try {
      await running.relay?.close();
      await running.localRedis?.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  let redisUrl = config.redis.url;
  if (!redisUrl) {
    running.localRedis = await findOrStartLocalRedis(config.redis.dataDir, logger);
    redisUrl = running.localRedis.url;
  }
  const relay = (running.relay = await createRelay(config, {
    logger,
    auditLog: createAuditLog(config.audit.log),
    redisUrl,
  }));
  const address = await relay.listen();
  logger.info({ address, role: config.role }, 'postback-relay listening');
}

main().catch((error: unknown) => {
  // One line (Redis unreachable, port in use, …); the stack only when asked for, to debug the relay itself.
  const verbose = /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '');
  const text = error instanceof Error ? (verbose ? error.stack : error.message) : String(error);
  process.stderr.write(`postback-relay failed to start: ${verbose ? text : String(text).replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
});
