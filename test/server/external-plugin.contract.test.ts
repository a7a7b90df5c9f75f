import { resolve } from 'node:path'
import { defineContractSuite } from '../contract/contract-suite.ts'

defineContractSuite(resolve(import.meta.dirname, '../fixtures/plugins/valid/acme-partners'))
