/**
 * Cases the differential tester once found failing, reduced, kept so they are built on every run.
 * Each names where it came from (seed:index) and what it caught.
 */
import type {DiffCase} from './cases.js'

export const FIXED_CASES: DiffCase[] = []
