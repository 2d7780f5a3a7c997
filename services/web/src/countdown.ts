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

/**
 * The two clocks beside a code field: how long the emailed code lives, and when its "send a
 * new code" button works again. The button uses aria-disabled rather than disabled, so it stays
 * focusable: keyboard and screen-reader users still find it and hear (aria-describedby) when it
 * will work.
 */
export class CodeClocks {
  #code: Countdown | undefined
  #resend: Countdown | undefined

  constructor (readonly timer: HTMLElement, readonly button: HTMLButtonElement, readonly hint: HTMLElement) {}

  codeValidUntil (at: Date): void {
    this.#code?.stop()
    this.#code = countdown(at, (left) => {
      this.timer.textContent = left > 0 ? `Code valid for ${formatSeconds(left)}.` : 'This code has expired. Send a new code.'
    })
  }

  resendAvailableAt (at: Date): void {
    this.#resend?.stop()
    this.button.setAttribute('aria-disabled', 'true')
    this.#resend = countdown(at,
      (left) => { this.hint.textContent = left > 0 ? `You can ask for a new code in ${formatSeconds(left)}.` : '' },
      () => { this.button.removeAttribute('aria-disabled') })
  }

  get resendWaits (): boolean {
    return this.button.getAttribute('aria-disabled') === 'true'
  }

  stop (): void {
    this.#code?.stop()
    this.#resend?.stop()
    this.timer.textContent = ''
    this.hint.textContent = ''
    this.button.removeAttribute('aria-disabled')
  }
}
