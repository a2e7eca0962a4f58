/** Wire shapes of the guardrail and service-account routes (guardrail-routes.ts), for validation and /openapi.json. */
import { z } from 'zod';

export const TripGuardrailBody = z
  .object({
    serviceAccountId: z.string().min(1).max(200),
    reason: z.string().max(2000).describe('What was seen: audited and sent to the owner and the admins'),
  })
  .strict();

export const TripGuardrailAnswer = z.object({
  serviceAccountId: z.string(),
  suspended: z.boolean().describe('true where the policy says onGuardrail: suspend'),
  revoked: z.array(z.string()).describe('Requests whose revocation started'),
  cancelled: z.array(z.string()).describe('Pending requests cancelled'),
});

export const ServiceAccountView = z.object({
  id: z.string(),
  owner: z.string(),
  suspended: z.boolean(),
  suspendedAt: z.string().nullable(),
  suspendedReason: z.string().nullable(),
  onGuardrail: z.enum(['revoke', 'suspend']),
  maxJitDuration: z.number().describe('Seconds'),
});

export const ServiceAccountList = z.object({ serviceAccounts: z.array(ServiceAccountView) });

export const SuspendBody = z.object({ comment: z.string().max(2000).describe('Why: audited with the suspension') }).strict();

export const UnsuspendBody = z.object({ comment: z.string().max(2000).optional() }).strict();
