/** The Moby-Dick excerpt that vite.config.ts bundles with the page. */
declare module 'virtual:moby-dick-excerpt' {
  const excerpt: string;
  export default excerpt;
}
