import { CredentialDecryptError } from '../crypto/credential-cipher.ts'
import type { AppBuilder } from '../schema/builder.ts'
import { requirePrincipal } from '../schema/builder.ts'
import { countedConnection, entityConnection } from '../schema/connections.ts'
import type { registerErrorTypes } from '../schema/errors.schema.ts'
import { userError } from '../schema/errors.schema.ts'
import { databaseId, toGlobalId } from '../schema/global-ids.ts'
import { loadScoped } from '../schema/node-loaders.ts'
import { attemptsOfDelivery, type DeliveryErrorCode, enqueueTestDelivery } from './alert-delivery.ts'
import {
  type ALERT_ATTEMPT_OUTCOMES,
  type ALERT_DELIVERY_EVENTS,
  type ALERT_DELIVERY_STATUSES,
  type ALERT_DESTINATION_KINDS,
  AlertDelivery,
  type AlertDeliveryAttempt,
  AlertDestination,
  type AlertDestinationKind,
} from './alert-destination.entity.ts'
import { createDestination, findDestination, updateDestination } from './alert-destination.service.ts'

/** Destinations on a page when neither `first` nor `last` is given: a workspace has a handful. */
const SMALL_PAGE = 100
/** Attempts listed per delivery: retries stop well before this. */
const MAX_ATTEMPTS_LISTED = 50

const destinationNotFound = (path: string[]) =>
  userError('AlertDestinationNotFoundError', 'ALERT_DESTINATION_NOT_FOUND', 'Alert destination not found.', [
    { path, message: 'no alert destination with this id in your workspace' },
  ])

export function registerAlertDestinationSchema(
  builder: AppBuilder,
  errorTypes: ReturnType<typeof registerErrorTypes>,
) {
  const errors = errorTypes.refs
  const KindEnum = builder.enumType('AlertDestinationKind', {
    description: 'How alerts reach a destination.',
    values: {
      WEBHOOK: {
        description: 'A JSON POST to any URL, signed with a secret affgraph makes (see docs/alerts.md).',
      },
      SLACK: { description: 'A Slack incoming webhook.' },
      DISCORD: { description: 'A Discord channel webhook.' },
      EMAIL: { description: 'An email through an SMTP server.' },
    } satisfies Record<(typeof ALERT_DESTINATION_KINDS)[number], { description: string }>,
  })
  const EventEnum = builder.enumType('AlertDeliveryEvent', {
    description: 'What a delivery tells its destination.',
    values: {
      FIRED: { description: 'An alert was raised.' },
      RESOLVED: { description: 'An alert was resolved.' },
      TEST: { description: 'A test message asked for with `sendTestAlert`.' },
    } satisfies Record<(typeof ALERT_DELIVERY_EVENTS)[number], { description: string }>,
  })
  const StatusEnum = builder.enumType('AlertDeliveryStatus', {
    description: 'Where a delivery stands.',
    values: {
      PENDING: { description: 'Not sent yet: queued, or waiting for its next retry.' },
      SENT: { description: 'The destination accepted it.' },
      FAILED: { description: 'Given up: refused for good, or every retry failed. `lastError` says why.' },
    } satisfies Record<(typeof ALERT_DELIVERY_STATUSES)[number], { description: string }>,
  })
  const OutcomeEnum = builder.enumType('AlertDeliveryAttemptOutcome', {
    description: 'How one attempt ended.',
    values: {
      SENT: { description: 'Accepted by the destination.' },
      RETRY: { description: 'Failed in a way that may pass; retried later.' },
      FAILED: { description: 'Failed, and no retry follows.' },
    } satisfies Record<(typeof ALERT_ATTEMPT_OUTCOMES)[number], { description: string }>,
  })

  const ErrorCodeEnum = builder.enumType('AlertDeliveryErrorCode', {
    description: 'Why an attempt at a delivery failed. New codes may be added.',
    values: {
      HTTP_RETRYABLE: { description: 'The receiver answered 5xx, 408 or 429; retried.' },
      HTTP_REFUSED: { description: 'The receiver answered another 4xx; not retried (check the URL).' },
      REDIRECT_REFUSED: {
        description: 'The receiver redirected; redirects are not followed. Enter the final URL.',
      },
      OUTBOUND_BLOCKED: { description: 'The target is (or resolves to) an address affgraph will not call.' },
      NETWORK: { description: 'No answer: refused, reset or unresolvable; retried.' },
      TIMEOUT: { description: 'The receiver took too long; retried.' },
      SMTP_REFUSED: { description: 'The SMTP server refused the message; a 5xx reply is not retried.' },
      SMTP_AUTH: { description: 'The SMTP server refused the login; not retried.' },
      DESTINATION_DISABLED: { description: 'The destination was switched off.' },
      SECRETS_UNREADABLE: { description: 'The stored secret could not be decrypted; enter it again.' },
    } satisfies Record<DeliveryErrorCode, { description: string }>,
  })

  const DestinationRef = builder.objectRef<AlertDestination>('AlertDestination').implement({
    description:
      'Where alerts are sent. Its secret (webhook URL, SMTP password, signing secret) is stored encrypted and never returned.',
    fields: (t) => ({
      name: t.exposeString('name', { nullable: false, description: 'Display name.' }),
      kind: t.field({
        type: KindEnum,
        nullable: false,
        description: 'How alerts reach it.',
        resolve: (d) => d.kind as AlertDestinationKind,
      }),
      hint: t.exposeString('hint', {
        nullable: false,
        description: 'Enough to recognise it: scheme and host of a URL, or the recipients of an email.',
      }),
      enabled: t.exposeBoolean('enabled', {
        nullable: false,
        description: 'False: alerts are not sent here (a test message fails at once).',
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When the destination was created.',
        resolve: (d) => d.createdAt,
      }),
    }),
  })

  const AttemptRef = builder.objectRef<AlertDeliveryAttempt>('AlertDeliveryAttempt').implement({
    description: 'One try at a delivery.',
    fields: (t) => ({
      attempt: t.exposeInt('attempt', { nullable: false, description: 'Its number, from 1.' }),
      startedAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When it began.',
        resolve: (a) => a.startedAt,
      }),
      durationMs: t.exposeInt('durationMs', {
        nullable: false,
        description: 'How long it took, in milliseconds.',
      }),
      responseStatus: t.exposeInt('responseCode', {
        nullable: true,
        description: 'HTTP status, or the SMTP reply number; null when no answer came.',
      }),
      errorCode: t.field({
        type: ErrorCodeEnum,
        nullable: true,
        description: 'Why it failed; null when it succeeded.',
        resolve: (a) => (a.errorCode as DeliveryErrorCode | null) ?? null,
      }),
      errorMessage: t.exposeString('errorMessage', {
        nullable: true,
        description: 'Why it failed, for people; secrets are removed. Null when it succeeded.',
      }),
      outcome: t.field({
        type: OutcomeEnum,
        nullable: false,
        description: 'How it ended.',
        resolve: (a) => a.outcome as (typeof ALERT_ATTEMPT_OUTCOMES)[number],
      }),
    }),
  })

  const DeliveryRef = builder.objectRef<AlertDelivery>('AlertDelivery').implement({
    description: 'One message owed to one destination for one alert event, with the log of its attempts.',
    fields: (t) => ({
      event: t.field({
        type: EventEnum,
        nullable: false,
        description: 'What it tells.',
        resolve: (d) => d.event as (typeof ALERT_DELIVERY_EVENTS)[number],
      }),
      status: t.field({
        type: StatusEnum,
        nullable: false,
        description: 'Where it stands.',
        resolve: (d) => d.status as (typeof ALERT_DELIVERY_STATUSES)[number],
      }),
      destination: t.field({
        type: DestinationRef,
        nullable: true,
        description: 'Where it goes; null once the destination is deleted.',
        resolve: async (d, _, ctx) =>
          (await loadScoped(ctx, AlertDestination, [d.destination.id]))[0] ?? null,
      }),
      attemptCount: t.exposeInt('attempts', {
        nullable: false,
        description: 'Attempts made so far.',
      }),
      idempotencyKey: t.exposeString('idempotencyKey', {
        nullable: false,
        description:
          'The same on every copy sent for this delivery (the `X-Affgraph-Delivery` header of a webhook): a receiver deduplicates on it.',
      }),
      lastError: t.exposeString('lastError', {
        nullable: true,
        description: 'Why the last attempt failed; null if it did not.',
      }),
      sentAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When the destination accepted it; null until then.',
        resolve: (d) => d.sentAt,
      }),
      createdAt: t.field({
        type: 'DateTime',
        nullable: false,
        description: 'When it was queued.',
        resolve: (d) => d.createdAt,
      }),
      attempts: t.field({
        type: [AttemptRef],
        nullable: false,
        description: `The attempts, first first; at most ${MAX_ATTEMPTS_LISTED}.`,
        resolve: async (d, _, ctx) => (await attemptsOfDelivery(ctx.em, d.id)).slice(0, MAX_ATTEMPTS_LISTED),
      }),
    }),
  })

  builder.nodeRef<AlertDestination, string, typeof DestinationRef>(DestinationRef, {
    id: { resolve: (d) => d.id, description: 'Global id of the destination.' },
    loadMany: (ids, ctx) => loadScoped(ctx, AlertDestination, ids),
  })
  builder.nodeRef<AlertDelivery, string, typeof DeliveryRef>(DeliveryRef, {
    id: { resolve: (d) => d.id, description: 'Global id of the delivery.' },
    loadMany: (ids, ctx) => loadScoped(ctx, AlertDelivery, ids),
  })

  builder.queryField('alertDestinations', (t) =>
    t.connection(
      {
        type: DestinationRef,
        nullable: false,
        description: `The alert destinations of the workspace, oldest first; ${SMALL_PAGE} a page unless \`first\` or \`last\` says.`,
        extensions: { defaultPageSize: SMALL_PAGE },
        resolve: (_, args, ctx) => {
          requirePrincipal(ctx)
          return entityConnection(ctx, AlertDestination, {}, args, {
            order: 'asc',
            defaultSize: SMALL_PAGE,
            cursorPrefix: 'destination',
          })
        },
      },
      countedConnection(
        'AlertDestinationConnection',
        'A page of alert destinations.',
        'Destinations of the workspace, on every page.',
      ),
      { name: 'AlertDestinationEdge', description: 'An alert destination and its cursor.' },
    ),
  )

  const EmailInput = builder.inputType('AlertEmailInput', {
    description: 'An SMTP server and who gets the email.',
    fields: (t) => ({
      host: t.string({
        required: true,
        description: 'SMTP server host name or address.',
        validate: { maxLength: 253 },
      }),
      port: t.int({ required: true, description: 'SMTP port (587 for STARTTLS, 465 for TLS, 25).' }),
      secure: t.boolean({
        required: false,
        defaultValue: false,
        description: 'true: TLS from the start (port 465); false: STARTTLS when the server offers it.',
      }),
      user: t.string({ required: false, description: 'SMTP login; omit for a server without login.' }),
      password: t.field({
        type: 'Secret',
        required: false,
        description:
          'SMTP password; stored encrypted, never returned. On update, omit it to keep the stored one.',
      }),
      from: t.string({ required: true, description: 'Sender address.', validate: { maxLength: 254 } }),
      to: t.stringList({ required: true, description: 'Recipient addresses, 1 to 20.' }),
    }),
  })

  const CreateInput = builder.inputType('CreateAlertDestinationInput', {
    description: 'A new alert destination.',
    fields: (t) => ({
      name: t.string({
        required: true,
        description: 'Display name, 1 to 80 characters.',
        validate: { minLength: [1, { message: 'must not be empty' }], maxLength: 80 },
      }),
      kind: t.field({ type: KindEnum, required: true, description: 'How alerts reach it.' }),
      url: t.field({
        type: 'Secret',
        required: false,
        description:
          'The webhook URL (WEBHOOK, SLACK, DISCORD). It must reach a public address; stored encrypted, never returned.',
      }),
      email: t.field({ type: EmailInput, required: false, description: 'The SMTP settings (EMAIL).' }),
    }),
  })
  const CreateSuccess = builder
    .objectRef<{ destination: AlertDestination; signingSecret: string | null }>(
      'CreateAlertDestinationSuccess',
    )
    .implement({
      description: 'The destination was created.',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'CreateAlertDestinationSuccess',
      fields: (t) => ({
        destination: t.field({
          type: DestinationRef,
          nullable: false,
          description: 'The new destination.',
          resolve: (v) => v.destination,
        }),
        signingSecret: t.exposeString('signingSecret', {
          nullable: true,
          description:
            'For a WEBHOOK, the secret its messages are signed with. Shown this once: store it in the receiver now. Null for other kinds.',
        }),
      }),
    })
  builder.mutationField('createAlertDestination', (t) =>
    t.field({
      type: builder.unionType('CreateAlertDestinationResult', {
        description: 'The new destination, or why none was created.',
        types: [CreateSuccess, errors.OutboundBlockedError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description:
        'Creates an alert destination. Rules name it in `destinationIds` to send their alerts there.',
      args: {
        input: t.arg({ type: CreateInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        const p = requirePrincipal(ctx)
        const outcome = await createDestination(ctx.services, ctx.em, p.workspaceId, {
          name: input.name,
          kind: input.kind,
          url: input.url ?? null,
          email: input.email
            ? { ...input.email, secure: input.email.secure ?? false, to: [...input.email.to] }
            : null,
        })
        if (!outcome.ok) return outcome.error
        return {
          __typename: 'CreateAlertDestinationSuccess',
          destination: outcome.destination,
          signingSecret: outcome.signingSecret,
        }
      },
    }),
  )

  const UpdateInput = builder.inputType('UpdateAlertDestinationInput', {
    description: 'Changes to a destination; omitted fields stay as they are.',
    fields: (t) => ({
      destinationId: t.globalID({
        required: true,
        for: DestinationRef,
        description: 'The destination, as `AlertDestination.id`.',
      }),
      name: t.string({
        required: false,
        description: 'New display name, 1 to 80 characters.',
        validate: { minLength: [1, { message: 'must not be empty' }], maxLength: 80 },
      }),
      enabled: t.boolean({ required: false, description: 'Switch sending on or off.' }),
      url: t.field({
        type: 'Secret',
        required: false,
        description: 'A new webhook URL (not for EMAIL); the old one is forgotten.',
      }),
      email: t.field({ type: EmailInput, required: false, description: 'New SMTP settings (EMAIL only).' }),
      rotateSigningSecret: t.boolean({
        required: false,
        description:
          'WEBHOOK only: make a new signing secret, returned once in the answer; the old one stops at once.',
      }),
    }),
  })
  const UpdateSuccess = builder
    .objectRef<{ destination: AlertDestination; signingSecret: string | null }>(
      'UpdateAlertDestinationSuccess',
    )
    .implement({
      description: 'The destination was changed.',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'UpdateAlertDestinationSuccess',
      fields: (t) => ({
        destination: t.field({
          type: DestinationRef,
          nullable: false,
          description: 'The destination as it is now.',
          resolve: (v) => v.destination,
        }),
        signingSecret: t.exposeString('signingSecret', {
          nullable: true,
          description:
            'The new signing secret when `rotateSigningSecret` was set; shown this once. Null otherwise.',
        }),
      }),
    })
  builder.mutationField('updateAlertDestination', (t) =>
    t.field({
      type: builder.unionType('UpdateAlertDestinationResult', {
        description: 'The changed destination, or why nothing was changed.',
        types: [
          UpdateSuccess,
          errors.AlertDestinationNotFoundError,
          errors.OutboundBlockedError,
          errors.CredentialsUnreadableError,
          ...errorTypes.inputErrors,
        ],
      }),
      nullable: false,
      description: 'Renames a destination, switches it on or off, or replaces its secret.',
      args: {
        input: t.arg({ type: UpdateInput, required: true, description: 'What to do; see the input type.' }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        const destination = await findDestination(ctx.em, databaseId(input.destinationId))
        if (!destination) return destinationNotFound(['input', 'destinationId'])
        let outcome: Awaited<ReturnType<typeof updateDestination>>
        try {
          outcome = await updateDestination(ctx.services, ctx.em, destination, {
            name: input.name,
            enabled: input.enabled,
            url: input.url,
            email: input.email
              ? { ...input.email, secure: input.email.secure ?? false, to: [...input.email.to] }
              : null,
            rotateSigningSecret: input.rotateSigningSecret,
          })
        } catch (error) {
          if (!(error instanceof CredentialDecryptError)) throw error
          return userError(
            'CredentialsUnreadableError',
            'CREDENTIALS_UNREADABLE',
            'The stored secret of this destination could not be decrypted; delete it and create it again.',
          )
        }
        if (!outcome.ok) return outcome.error
        return {
          __typename: 'UpdateAlertDestinationSuccess',
          destination,
          signingSecret: outcome.signingSecret,
        }
      },
    }),
  )

  const IdInput = (name: string, description: string) =>
    builder.inputType(name, {
      description,
      fields: (t) => ({
        destinationId: t.globalID({
          required: true,
          for: DestinationRef,
          description: 'The destination, as `AlertDestination.id`.',
        }),
      }),
    })
  const DeleteSuccess = builder
    .objectRef<{ destinationId: string }>('DeleteAlertDestinationSuccess')
    .implement({
      description:
        'The destination is deleted, with its deliveries; rules that named it no longer send there.',
      isTypeOf: (v) => (v as { __typename?: string }).__typename === 'DeleteAlertDestinationSuccess',
      fields: (t) => ({
        deletedDestinationId: t.id({
          nullable: false,
          description: 'Global id the deleted destination had.',
          resolve: (v) => v.destinationId,
        }),
      }),
    })
  builder.mutationField('deleteAlertDestination', (t) =>
    t.field({
      type: builder.unionType('DeleteAlertDestinationResult', {
        description: 'Confirmation, or why nothing was deleted.',
        types: [DeleteSuccess, errors.AlertDestinationNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Deletes a destination and its delivery history.',
      args: {
        input: t.arg({
          type: IdInput('DeleteAlertDestinationInput', 'Which destination to delete.'),
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        const destination = await findDestination(ctx.em, databaseId(input.destinationId))
        if (!destination) return destinationNotFound(['input', 'destinationId'])
        await ctx.em.remove(destination).flush()
        return {
          __typename: 'DeleteAlertDestinationSuccess',
          destinationId: toGlobalId('AlertDestination', destination.id),
        }
      },
    }),
  )

  const TestSuccess = builder.objectRef<{ delivery: AlertDelivery }>('SendTestAlertSuccess').implement({
    description: 'A test message is queued; follow its delivery to see whether it arrived.',
    isTypeOf: (v) => (v as { __typename?: string }).__typename === 'SendTestAlertSuccess',
    fields: (t) => ({
      delivery: t.field({
        type: DeliveryRef,
        nullable: false,
        description: 'The queued delivery (refetch it with `node(id:)` for its status).',
        resolve: (v) => v.delivery,
      }),
    }),
  })
  builder.mutationField('sendTestAlert', (t) =>
    t.field({
      type: builder.unionType('SendTestAlertResult', {
        description: 'The queued test delivery, or why none was queued.',
        types: [TestSuccess, errors.AlertDestinationNotFoundError, ...errorTypes.inputErrors],
      }),
      nullable: false,
      description: 'Sends a test message to a destination through the same queue and retries as alerts.',
      args: {
        input: t.arg({
          type: IdInput('SendTestAlertInput', 'Which destination to test.'),
          required: true,
          description: 'What to do; see the input type.',
        }),
      },
      resolve: async (_, { input }, ctx) => {
        requirePrincipal(ctx)
        const destination = await findDestination(ctx.em, databaseId(input.destinationId))
        if (!destination) return destinationNotFound(['input', 'destinationId'])
        const delivery = await enqueueTestDelivery(ctx.services, ctx.em, destination)
        return { __typename: 'SendTestAlertSuccess', delivery }
      },
    }),
  )

  return { DestinationRef, DeliveryRef }
}
