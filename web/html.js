import htm from 'htm'
import { h } from 'preact'

/** Tagged templates instead of JSX: the files are served as written, with no build step. */
export const html = htm.bind(h)
