import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Context, Effect, Layer, Redacted } from "effect"
import { authenticate } from "../../application/ApiKeys.ts"
import type { ApiKeyRepo } from "../../ports/ApiKeyRepo.ts"
import { InternalError, ServiceUnavailable, Unauthorized, unauthorized, unavailable } from "./problems.ts"
import { Schema } from "effect"
import { timingSafeEqual } from "node:crypto"

/** The organization of the API key that made the call: everything a handler touches is scoped to it. */
export class CurrentOrganization extends Context.Tag("ast/CurrentOrganization")<CurrentOrganization, string>() {}

/** `Authorization: Bearer ast_…` on every `/api/v1/*` call but admin's (§2). */
export class ApiKeyAuth extends HttpApiMiddleware.Tag<ApiKeyAuth>()("ast/ApiKeyAuth", {
  provides: CurrentOrganization,
  failure: Schema.Union(Unauthorized, ServiceUnavailable, InternalError),
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** `Authorization: Bearer <AST_ADMIN_TOKEN>` on `/api/v1/admin/*`; with no token configured, always 401. */
export class AdminAuth extends HttpApiMiddleware.Tag<AdminAuth>()("ast/AdminAuth", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

export const ApiKeyAuthLive = Layer.effect(
  ApiKeyAuth,
  Effect.map(Effect.context<ApiKeyRepo>(), (context) => ({
    bearer: (token: Redacted.Redacted<string>) =>
      authenticate(Redacted.value(token)).pipe(
        Effect.provide(context),
        Effect.catchTags({
          Unauthenticated: (e) => Effect.fail(unauthorized(e.message)),
          Unavailable: (e) => Effect.fail(unavailable(e.message))
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
