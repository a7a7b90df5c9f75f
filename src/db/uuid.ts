const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Whether a text is a UUID, the form of every database id: a text that is not one is never sent to PostgreSQL,
 * where it would fail the statement instead of finding nothing.
 */
export const isUuid = (text: string): boolean => UUID.test(text)
