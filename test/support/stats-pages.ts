/**
 * A stats answer with the rows of its page as a plain list, for assertions over rows. The API serves rows as a
 * connection (`rows { nodes … }`); tests that check figures read them through this.
 */
export function pageRows<T extends { rows: { nodes: unknown[] } }>(
  stats: T,
): Omit<T, 'rows'> & { rows: T['rows']['nodes'] } {
  return { ...stats, rows: stats.rows.nodes }
}
