import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Context, Effect, Layer, Redacted } from "effect"
import { authenticate } from "../../application/ApiKeys.ts"
import type { ApiKeyRepo } from "../../ports/ApiKeyRepo.ts"
import { RateLimiter } from "../../ports/RateLimiter.ts"
import { InternalError, ServiceUnavailable, TooManyRequests, tooManyRequests, Unauthorized, unauthorized, unavailable } from "./problems.ts"
import { Schema } from "effect"
import { timingSafeEqual } from "node:crypto"

/** The organization of the API key that made the call: everything a handler touches is scoped to it. */
export class CurrentOrganization extends Context.Tag("ast/CurrentOrganization")<CurrentOrganization, string>() {}

/** `Authorization: Bearer ast_…` on every `/api/v1/*` call but admin's (§2). */
export class ApiKeyAuth extends HttpApiMiddleware.Tag<ApiKeyAuth>()("ast/ApiKeyAuth", {
  provides: CurrentOrganization,
  failure: Schema.Union(Unauthorized, TooManyRequests, ServiceUnavailable, InternalError),
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** `Authorization: Bearer <AST_ADMIN_TOKEN>` on `/api/v1/admin/*`; with no token configured, always 401. */
export class AdminAuth extends HttpApiMiddleware.Tag<AdminAuth>()("ast/AdminAuth", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** Requests per minute per API key (`AST_RATE_LIMIT`), shared by every instance through the RateLimiter. */
export class RateLimitPerMinute extends Context.Reference<RateLimitPerMinute>()("ast/RateLimitPerMinute", {
  defaultValue: () => 600
}) {}

export const ApiKeyAuthLive = Layer.effect(
  ApiKeyAuth,
  Effect.map(Effect.context<ApiKeyRepo | RateLimiter>(), (context) => ({
    bearer: (token: Redacted.Redacted<string>) =>
      Effect.gen(function* () {
        const key = yield* authenticate(Redacted.value(token))
        const perMinute = yield* RateLimitPerMinute
        const verdict = yield* (yield* RateLimiter).take(key.id, perMinute)
        if (!verdict.allowed) return yield* Effect.fail(tooManyRequests(perMinute, verdict.retryAfterSeconds))
        return key.organizationId
      }).pipe(
        Effect.provide(context),
        Effect.catchTags({
          Unauthenticated: (e) => Effect.fail(unauthorized(e.message)),
          Unavailable: (e) => Effect.logWarning(`${e.dependency} unavailable: ${e.message}`).pipe(Effect.zipRight(Effect.fail(unavailable(`${e.dependency === "redis" ? "Redis" : "the database"} is unavailable; try again shortly`))))
        })
      )
  }))
)

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export const AdminAuthLive = (adminToken: Redacted.Redacted<string> | undefined) =>
  Layer.succeed(AdminAuth, {
    bearer: (token: Redacted.Redacted<string>) =>
      adminToken === undefined
        ? Effect.fail(unauthorized("admin endpoints are disabled: AST_ADMIN_TOKEN is not set"))
        : sameSecret(Redacted.value(token), Redacted.value(adminToken))
        ? Effect.void
        : Effect.fail(unauthorized("the admin token is wrong"))
  })
