// Driving the example page: its form and buttons as a person would, and its
// `window.auth` (@keyturn/browser's client) and `window.authEvents` for checks.
// Page code is passed as strings: tsx rewrites functions (name helpers) in ways
// that do not survive being serialized into the page.
import { randomBytes } from 'node:crypto'
import type { BrowserContext, Page } from 'playwright-core'

export interface PageEvent {
  type: 'signed-in' | 'refreshed' | 'signed-out'
  source: 'this-tab' | 'other-tab'
  reason?: string
}

/** Runs `expression` in the page (it sees `auth` and `authEvents`) and returns its awaited value. */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(`(async () => (${expression}))()`) as Promise<T>
}

/** Opens the page and waits until its client is ready (session restored or known to be absent). */
export async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  await page.waitForSelector('body[data-ready="true"]')
  return page
}

export function newAccount(): { username: string; password: string } {
  return { username: `user_${randomBytes(5).toString('hex')}`, password: `pw-${randomBytes(9).toString('hex')}` }
}

/** Fills the form, presses Register, and waits for the page to show the account signed in. */
export async function registerThroughForm(page: Page, account = newAccount()): Promise<{ username: string; password: string }> {
  await page.fill('input[name=username]', account.username)
  await page.fill('input[name=password]', account.password)
  await page.click('button[value=register]')
  await page.waitForFunction(`document.querySelector('#status').textContent === 'Signed in as ${account.username}'`)
  return account
}

/** Waits until the page's client has emitted an event matching `predicate` (a JS expression over `e`) after `after` events. */
export async function waitForEvent(page: Page, predicate: string, after = 0): Promise<void> {
  await page.waitForFunction(`authEvents.slice(${after}).some((e) => ${predicate})`)
}

export const eventCount = (page: Page) => inPage<number>(page, 'authEvents.length')
export const accessTokenOf = (page: Page) => inPage<string | null>(page, 'auth.accessToken')
