import { Context, Duration, Effect, Option, Runtime, Schedule } from "effect"
import Pg from "pg"

/** The channel of `NOTIFY`s that cached rows changed; a payload is `<kind>:<id>` (`api_key:<hash>`, `workflow:<id>`). */
export const changesChannel = "ast_cache"

/**
 * Changes to rows that instances cache (a revoked API key, a replaced or deleted workflow), heard through
 * PostgreSQL's `LISTEN`/`NOTIFY`: a write notifies in its own statement, so every instance hears of it
 * when it commits. An instance caches only while it is listening (`isLive`); when its listening
 * connection drops, it reads through to the database until it listens again, then starts from empty
 * caches — a change missed meanwhile can never leave a stale row behind.
 */
export class ChangeFeed extends Context.Tag("ast/ChangeFeed")<ChangeFeed, {
  /** Whether every change is heard now: caches may answer only then. */
  readonly isLive: () => boolean
  /** `listener` gets each change's payload, and `*` when changes may have been missed (drop everything). */
  readonly subscribe: (listener: (change: string) => void) => void
}>() {}

const makeListeners = () => {
  const listeners = new Set<(change: string) => void>()
  return {
    subscribe: (listener: (change: string) => void) => void listeners.add(listener),
    emit: (change: string) => {
      for (const listener of listeners) listener(change)
    }
  }
}

/** One process alone on its database (embedded PGlite): its own writes are all the changes there are. */
export const localChangeFeed = (): ChangeFeed["Type"] => {
  const { subscribe } = makeListeners()
  return { isLive: () => true, subscribe }
}

/** How often the listening connection proves it is alive (a dead one is replaced, caches dropped). */
const HEARTBEAT = Duration.seconds(15)

/**
 * `LISTEN` on a connection of its own (outside the pool), kept for the scope: reconnected with backoff
 * (200 ms doubling, at most 5 s apart) when it errors, ends or fails its heartbeat.
 */
export const listeningChangeFeed = (config: Pg.ClientConfig) =>
  Effect.gen(function* () {
    const { subscribe, emit } = makeListeners()
    const log = Runtime.runFork(yield* Effect.runtime<never>())
    let live = false
    let wasLost = false
    /** Listens until the connection is lost; fails then (so it is retried), never succeeds. */
    const listenOnce = Effect.async<never, Error>((resume) => {
      const client = new Pg.Client({ ...config, keepAlive: true })
      let over = false
      let heartbeat: ReturnType<typeof setInterval> | undefined
      const close = () => {
        over = true
        live = false
        if (heartbeat !== undefined) clearInterval(heartbeat)
        client.removeAllListeners("notification")
        client.on("error", () => undefined)
        client.end().catch(() => undefined)
      }
      const lost = (e: unknown) => {
        if (over) return
        const wasLive = live
        close()
        emit("*")
        if (wasLive) {
          wasLost = true
          log(Effect.logWarning(`cache change feed lost (${e instanceof Error ? e.message : String(e)}); reading API keys and workflows through to the database until it is back`))
        }
        resume(Effect.fail(e instanceof Error ? e : new Error(String(e))))
      }
      client.on("error", lost)
      client.on("end", () => lost(new Error("connection closed")))
      client.on("notification", (message) => {
        if (message.channel === changesChannel && message.payload !== undefined) emit(message.payload)
      })
      client.connect()
        .then(() => client.query(`LISTEN ${changesChannel}`))
        .then(() => {
          if (over) return
          // Whatever changed before now is read fresh: start from empty caches.
          emit("*")
          live = true
          if (wasLost) log(Effect.logInfo("cache change feed back: caching API keys and workflows again"))
          wasLost = false
          heartbeat = setInterval(() => {
            const probe = client.query("SELECT 1")
            const timer = setTimeout(() => lost(new Error("heartbeat unanswered")), 5_000)
            probe.then(() => clearTimeout(timer), (e: unknown) => {
              clearTimeout(timer)
              lost(e)
            })
          }, Duration.toMillis(HEARTBEAT))
          heartbeat.unref()
        })
        .catch(lost)
      return Effect.sync(close)
    })
    yield* Effect.forkScoped(listenOnce.pipe(
      Effect.retry(Schedule.exponential("200 millis").pipe(Schedule.union(Schedule.spaced("5 seconds"))))
    ))
    return { isLive: () => live, subscribe } satisfies ChangeFeed["Type"]
  })

/**
 * A read-through cache of rows by key, used only while the feed is live: a hit answers without the
 * database; a change heard for a key (or `*`) drops it. A lookup that a change overtook is not kept (a
 * row read before a change must never outlive it) — the rule Effect's `Cache` does not keep, which
 * stores a lookup's result even when it was invalidated meanwhile. Only found rows are kept, for at
 * most `timeToLive`; past `capacity` the oldest entry goes.
 */
export const makeRowCache = <A, E, R>(options: {
  readonly feed: ChangeFeed["Type"]
  /** The change payload `<kind>:<key>` drops `key`. */
  readonly kind: string
  readonly lookup: (key: string) => Effect.Effect<Option.Option<A>, E, R>
  readonly capacity?: number
  readonly timeToLive?: Duration.DurationInput
}) => {
  const ttlMs = Duration.toMillis(Duration.decode(options.timeToLive ?? "60 seconds"))
  const capacity = options.capacity ?? 10_000
  const entries = new Map<string, { readonly value: A; readonly expiresAt: number }>()
  /** Bumped by every change heard: a lookup started before a bump keeps nothing. */
  let generation = 0
  const drop = (key: string | undefined) => {
    generation += 1
    if (key === undefined) entries.clear()
    else entries.delete(key)
  }
  const prefix = `${options.kind}:`
  options.feed.subscribe((change) => {
    if (change === "*") drop(undefined)
    else if (change.startsWith(prefix)) drop(change.slice(prefix.length))
  })
  return {
    get: (key: string): Effect.Effect<Option.Option<A>, E, R> =>
      Effect.suspend(() => {
        if (!options.feed.isLive()) return options.lookup(key)
        const hit = entries.get(key)
        const now = Date.now()
        if (hit !== undefined && hit.expiresAt > now) return Effect.succeed(Option.some(hit.value))
        const started = generation
        return Effect.tap(options.lookup(key), (found) => {
          if (Option.isNone(found) || started !== generation || !options.feed.isLive()) return
          entries.delete(key)
          if (entries.size >= capacity) entries.delete(entries.keys().next().value!)
          entries.set(key, { value: found.value, expiresAt: now + ttlMs })
        })
      }),
    /** Drops `key` here at once (a write of this instance; the others hear its `NOTIFY`). */
    invalidate: (key: string) => Effect.sync(() => drop(key))
  }
}
