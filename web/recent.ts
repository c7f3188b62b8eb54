/**
 * Recent models in the browser's IndexedDB: the model file's bytes (the same one-file format as a
 * download) with a short description, newest first, at most KEEP_RECENT of them. Stays on this device.
 */
const DATABASE = 'novolstm';
const STORE = 'recent-models';
export const KEEP_RECENT = 5;

export interface RecentModel {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly savedAt: string;
  readonly bytes: Uint8Array;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () =>
      request.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB cannot be opened'));
  });
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Newest first. */
export async function listRecent(): Promise<RecentModel[]> {
  const db = await open();
  try {
    const all = await done(db.transaction(STORE).objectStore(STORE).getAll() as IDBRequest<RecentModel[]>);
    return all.sort((a, b) => b.id - a.id);
  } finally {
    db.close();
  }
}

/** Adds a model and forgets all but the KEEP_RECENT newest. */
export async function rememberModel(entry: Omit<RecentModel, 'id'>): Promise<void> {
  const db = await open();
  try {
    const store = db.transaction(STORE, 'readwrite').objectStore(STORE);
    await done(store.add(entry));
    const keys = (await done(store.getAllKeys())) as number[];
    for (const key of keys.sort((a, b) => b - a).slice(KEEP_RECENT)) await done(store.delete(key));
  } finally {
    db.close();
  }
}
