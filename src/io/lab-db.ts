/**
 * The lab's IndexedDB: experiment records (one per dataset run), identification galleries and
 * weights trained in the app.
 * Tiny promise wrappers over the raw API; every function opens, does one transaction, resolves.
 */
const DB_NAME = 'faceflow-lab';
// Version 2 added the weights store, version 3 the input image; opening creates whichever stores are missing.
const DB_VERSION = 3;
export const EXPERIMENTS = 'experiments';
export const GALLERIES = 'galleries';
export const WEIGHTS = 'weights';
/** The image the user last picked as the run's input (key 'current'), so a reload keeps it. */
export const INPUTS = 'inputs';

let opening: Promise<IDBDatabase> | undefined;

export function openLabDb(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(EXPERIMENTS)) db.createObjectStore(EXPERIMENTS, { keyPath: 'id', autoIncrement: true });
      if (!db.objectStoreNames.contains(GALLERIES)) db.createObjectStore(GALLERIES, { keyPath: 'name' });
      if (!db.objectStoreNames.contains(WEIGHTS)) db.createObjectStore(WEIGHTS, { keyPath: 'name' });
      if (!db.objectStoreNames.contains(INPUTS)) db.createObjectStore(INPUTS, { keyPath: 'key' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('cannot open IndexedDB'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  }).catch((e) => {
    opening = undefined;
    throw e;
  });
  return opening;
}

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

export async function dbGet<T>(store: string, key: IDBValidKey): Promise<T | undefined> {
  const db = await openLabDb();
  return done(db.transaction(store).objectStore(store).get(key)) as Promise<T | undefined>;
}

export async function dbGetAllKeys(store: string): Promise<IDBValidKey[]> {
  const db = await openLabDb();
  return done(db.transaction(store).objectStore(store).getAllKeys());
}

export async function dbGetAll<T>(store: string): Promise<T[]> {
  const db = await openLabDb();
  return done(db.transaction(store).objectStore(store).getAll()) as Promise<T[]>;
}

export async function dbPut<T>(store: string, value: T): Promise<IDBValidKey> {
  const db = await openLabDb();
  return done(db.transaction(store, 'readwrite').objectStore(store).put(value));
}

export async function dbDelete(store: string, key: IDBValidKey): Promise<void> {
  const db = await openLabDb();
  await done(db.transaction(store, 'readwrite').objectStore(store).delete(key));
}
