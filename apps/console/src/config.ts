/** The console's settings, served by the gateway beside the console (GET /console/config.json). */
export interface ConsoleConfig {
  /** Meridian's OpenID Connect issuer. */
  readonly issuer: string;
  /** The console's public OAuth client (`meridian-console`). */
  readonly clientId: string;
  /** The API's public URL (the gateway). */
  readonly api: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch(new URL('./config.json', window.location.href), { cache: 'no-store' });
  if (!response.ok) throw new Error(`The console's settings could not be loaded (HTTP ${response.status}).`);
  return (await response.json()) as ConsoleConfig;
}
