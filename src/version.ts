/** Shown to Discord in every request's User-Agent. A test keeps it equal to package.json's version. */
export const BOT_VERSION = '0.1.0';
export const BOT_URL = 'https://github.com/discord-facebook-login/discord-facebook-login';
