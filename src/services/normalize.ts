/**
 * Usernames are NFKC-normalized as Django's AbstractBaseUser.normalize_username
 * does, so look-alike compositions of one name cannot become two accounts.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC')
}

/** Django's normalize_email: the domain is case-insensitive, the local part is left alone. An empty email is none. */
export function normalizeEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null || email.trim() === '') return null
  const trimmed = email.trim()
  const at = trimmed.lastIndexOf('@')
  return at < 0 ? trimmed : trimmed.slice(0, at) + trimmed.slice(at).toLowerCase()
}

