// tap's `before` script: every run starts with no observations.
import { resetObserved } from './observed.js'

resetObserved()
