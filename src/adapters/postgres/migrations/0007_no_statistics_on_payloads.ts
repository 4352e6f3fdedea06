import { statements } from "./statements.ts"

/**
 * No planner statistics on the JSON payloads nothing ever filters or joins on: ANALYZE (run by the
 * service itself, PlannerStatistics.ts, and by autovacuum) then skips reading and detoasting them.
 * On execution_steps it took about 0.4 s a time with them, and with the tables growing it runs often.
 */
export default statements(`
  ALTER TABLE execution_steps ALTER COLUMN input SET STATISTICS 0, ALTER COLUMN output SET STATISTICS 0;
  ALTER TABLE execution_data ALTER COLUMN input SET STATISTICS 0, ALTER COLUMN output SET STATISTICS 0;
  ALTER TABLE bursts ALTER COLUMN messages SET STATISTICS 0, ALTER COLUMN sender SET STATISTICS 0, ALTER COLUMN context SET STATISTICS 0;
  ALTER TABLE workflows ALTER COLUMN document SET STATISTICS 0, ALTER COLUMN graph SET STATISTICS 0;
  ALTER TABLE callback_deliveries ALTER COLUMN body SET STATISTICS 0
`)
