// `npm run build`: bundle the app into dist/ with hashed file names, then write index.html, the
// service worker (its precache list carries this build's id, so a new build is a new cache), the
// web app manifest and the icons. dist/ is generated only; never edit it by hand.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { BRAND, drawIcon } from './tools/icons.mjs';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(ROOT, 'dist');
const BACKGROUND = '#ffffff';
const ICONS = [
  { file: 'icons/icon-192.png', size: 192, purpose: 'any' },
  { file: 'icons/icon-512.png', size: 512, purpose: 'any' },
  { file: 'icons/icon-maskable-192.png', size: 192, purpose: 'maskable' },
  { file: 'icons/icon-maskable-512.png', size: 512, purpose: 'maskable' },
];

async function bundleApp() {
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/main.js')],
    bundle: true,
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    entryNames: 'assets/app-[hash]',
    assetNames: 'assets/[name]-[hash]',
    outdir: DIST,
    metafile: true,
    logLevel: 'warning',
  });
  const [jsFile, output] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint);
  return { js: toUrl(jsFile), css: output.cssBundle ? toUrl(output.cssBundle) : null, outputs: result.metafile.outputs };
}

function toUrl(outputPath) {
  return '/' + path.relative(DIST, path.resolve(ROOT, outputPath)).split(path.sep).join('/');
}

function indexHtml({ js, css }) {
  // Absolute URLs: the same index.html answers deep links such as /enrol/….
  return `<!doctype html>
<html lang="fi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="${BRAND}">
<meta name="description" content="Kaari – asiakkuudenhallinta ja toiminnanohjaus">
<title>Kaari</title>
<link rel="manifest" href="/manifest.webmanifest">
<link rel="icon" type="image/png" sizes="192x192" href="/icons/icon-192.png">
<link rel="apple-touch-icon" href="/icons/icon-192.png">
${css ? `<link rel="stylesheet" href="${css}">\n` : ''}<script type="module" src="${js}"></script>
</head>
<body>
<kaari-app><noscript>Kaari tarvitsee JavaScriptin. Kaari behöver JavaScript. Kaari needs JavaScript.</noscript></kaari-app>
</body>
</html>
`;
}

function manifest() {
  return {
    name: 'Kaari',
    short_name: 'Kaari',
    description: 'Asiakkuudenhallinta ja toiminnanohjaus',
    lang: 'fi',
    dir: 'ltr',
    id: '/',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    orientation: 'any',
    theme_color: BRAND,
    background_color: BACKGROUND,
    icons: ICONS.map(({ file, size, purpose }) => ({
      src: '/' + file,
      sizes: `${size}x${size}`,
      type: 'image/png',
      purpose,
    })),
  };
}

async function write(relative, content) {
  const target = path.join(DIST, relative);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  return content;
}

// The worker is bundled before the build id exists, with a placeholder the id then replaces, so its own code
// (and not only the files it precaches) goes into the id: a change to sw.js alone is a new release too.
const BUILD_PLACEHOLDER = '__kaari_build_id_placeholder__';

async function bundleServiceWorker(precache) {
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/sw.js')],
    bundle: true,
    format: 'iife',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    write: false,
    outfile: path.join(DIST, 'sw.js'),
    define: { __KAARI_BUILD__: JSON.stringify(BUILD_PLACEHOLDER), __KAARI_PRECACHE__: JSON.stringify(precache) },
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].text;
  if (!code.includes(BUILD_PLACEHOLDER)) throw new Error('sw.js no longer uses __KAARI_BUILD__');
  return code;
}

async function main() {
  await rm(DIST, { recursive: true, force: true });
  const app = await bundleApp();
  const files = new Map(); // URL → content, for every file the service worker precaches
  for (const output of Object.keys(app.outputs)) {
    if (output.endsWith('.map') || output.endsWith('.LEGAL.txt')) continue; // not needed offline
    files.set(toUrl(output), await readFile(path.resolve(ROOT, output)));
  }
  for (const icon of ICONS) {
    files.set('/' + icon.file, await write(icon.file, drawIcon(icon.size, { maskable: icon.purpose === 'maskable' })));
  }
  files.set('/manifest.webmanifest', await write('manifest.webmanifest', JSON.stringify(manifest(), null, 2) + '\n'));
  files.set('/index.html', await write('index.html', indexHtml(app)));

  // The build id is a digest of everything precached and of the worker: same sources, same id, no needless update.
  const worker = await bundleServiceWorker([...files.keys()].sort());
  const digest = createHash('sha256');
  for (const [url, content] of [...files, ['/sw.js', worker]].sort(([a], [b]) => a.localeCompare(b))) {
    digest.update(url).update(content);
  }
  const buildId = digest.digest('hex').slice(0, 16);
  await write('sw.js', worker.replaceAll(BUILD_PLACEHOLDER, buildId));
  await write('build.json', JSON.stringify({ build: buildId, files: [...files.keys()].sort() }, null, 2) + '\n');
  console.log(`Kaari PWA built: ${buildId} (${files.size} files precached) → ${path.relative(process.cwd(), DIST) || '.'}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
