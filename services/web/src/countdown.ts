// A ticking "n s left" text. It counts against the server's clock (api.serverNow) and
// updates a plain element, not a live region: a screen reader would otherwise hear every second.
import { serverNow } from './api.js'

export interface Countdown {
  stop: () => void
}

/**
 * Calls `render(secondsLeft)` now and every second until `until`; then `render(0)` and `onEnd()`.
 */
export function countdown (until: Date, render: (secondsLeft: number) => void, onEnd: () => void = () => {}): Countdown {
  let timer: ReturnType<typeof setTimeout> | undefined
  const tick = (): void => {
    const msLeft = until.getTime() - serverNow()
    if (msLeft <= 0) {
      timer = undefined
      render(0)
      onEnd()
      return
    }
    render(Math.ceil(msLeft / 1000))
    // Wake up right after the next whole second flips, so the number never lags.
    timer = setTimeout(tick, (msLeft % 1000) + 20)
  }
  tick()
  return { stop: () => { if (timer !== undefined) clearTimeout(timer); timer = undefined } }
}

/** "47 s" up to two minutes (a code lives 60 s by default), then "4 min 05 s". */
export function formatSeconds (seconds: number): string {
  if (seconds < 120) return `${seconds} s`
  const m = Math.floor(seconds / 60)
  const s = seconds % 60
  return `${m} min ${String(s).padStart(2, '0')} s`
}
