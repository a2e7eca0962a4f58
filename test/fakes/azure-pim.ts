/**
 * The PIM half of the Azure ARM fake: `PUT/GET …/roleAssignmentScheduleRequests/{name}` (AdminAssign creates an
 * active schedule instance until `scheduleInfo.expiration.endDateTime`, AdminRemove ends it, AdminExtend /
 * AdminUpdate move its end; RoleAssignmentExists / RoleAssignmentDoesNotExist as PIM answers; a used request
 * name is never accepted twice), the request list by principal, and `GET …/roleAssignmentScheduleInstances`
 * with `$filter=assignedTo('<id>')` or `principalId eq '<id>'` (instances whose end has passed are gone).
 */
import { armError, checkPrincipalAndRole, filterPrincipal, norm, related, type ArmAnswer, type ArmCall, type FakeAzure, type PimInstance } from './azure-arm.ts';

export interface PimRequest {
  name: string;
  scope: string;
  requestType: string;
  principalId: string;
  roleDefinitionId: string;
  justification?: string;
  status: string;
  endDateTime?: string;
}

export interface PimState {
  requests: Map<string, PimRequest>;
  instances: PimInstance[];
}

const REQUEST_TYPES = ['AdminAssign', 'AdminRemove', 'AdminExtend', 'AdminUpdate', 'AdminRenew'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function requestBody(r: PimRequest) {
  return {
    id: `${r.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${r.name}`,
    name: r.name,
    type: 'Microsoft.Authorization/RoleAssignmentScheduleRequests',
    properties: { scope: r.scope, requestType: r.requestType, principalId: r.principalId, roleDefinitionId: r.roleDefinitionId, justification: r.justification, status: r.status },
  };
}

function instanceBody(i: PimInstance, index: number) {
  return {
    id: `${i.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances/${index}`,
    name: String(index),
    type: 'Microsoft.Authorization/RoleAssignmentScheduleInstances',
    properties: {
      scope: i.scope,
      roleDefinitionId: i.roleDefinitionId,
      principalId: i.principalId,
      principalType: 'User',
      status: 'Provisioned',
      startDateTime: i.start.toISOString(),
      endDateTime: i.end?.toISOString() ?? null,
      assignmentType: 'Assigned',
      memberType: 'Direct',
    },
  };
}

/** The schedule info's end, or an error answer. */
function validateSchedule(props: any, requestType: string, now: Date): ArmAnswer | { end: Date | null } {
  if (requestType === 'AdminRemove') return { end: null };
  const info = props.scheduleInfo;
  if (!info || typeof info !== 'object') return armError(400, 'InvalidScheduleInfo', `scheduleInfo is required for ${requestType}`);
  if (requestType === 'AdminAssign' && (typeof info.startDateTime !== 'string' || !ISO.test(info.startDateTime))) return armError(400, 'InvalidScheduleInfo', 'scheduleInfo.startDateTime must be an ISO 8601 instant');
  const exp = info.expiration;
  if (!exp || !['AfterDateTime', 'AfterDuration', 'NoExpiration'].includes(exp.type)) return armError(400, 'InvalidScheduleInfo', 'scheduleInfo.expiration.type must be AfterDateTime, AfterDuration or NoExpiration');
  if (exp.type !== 'AfterDateTime') return armError(400, 'RoleAssignmentRequestPolicyValidationFailed', 'The policy of this role requires an expiration date (fake: AfterDateTime only).');
  if (typeof exp.endDateTime !== 'string' || !ISO.test(exp.endDateTime)) return armError(400, 'InvalidScheduleInfo', 'scheduleInfo.expiration.endDateTime must be an ISO 8601 instant');
  const end = new Date(exp.endDateTime);
  const start = info.startDateTime ? new Date(info.startDateTime) : now;
  if (end <= start || end <= now) return armError(400, 'InvalidScheduleInfo', 'scheduleInfo.expiration.endDateTime must be after the start and in the future');
  return { end };
}

export function handleScheduleRequests(fake: FakeAzure, call: ArmCall, kind: string, scope: string, name: string | undefined, now: Date): ArmAnswer {
  const pim = fake.pim;
  // Ended schedules are gone, as on Azure.
  pim.instances = pim.instances.filter((i) => i.end === null || i.end > now);
  const principal = filterPrincipal(call.query);
  if (principal instanceof Error) return armError(400, 'UnsupportedQuery', principal.message);
  if (kind === 'roleassignmentscheduleinstances') {
    if (call.method !== 'GET' || name !== undefined) return armError(405, 'MethodNotAllowed', 'only the list of schedule instances is served');
    const value = pim.instances.map(instanceBody).filter((_, i) => related(pim.instances[i]!.scope, scope) && (principal === null || pim.instances[i]!.principalId === principal));
    return { status: 200, body: { value } };
  }
  if (name === undefined) {
    if (call.method !== 'GET') return armError(405, 'MethodNotAllowed', `${call.method} is not allowed on a collection`);
    const value = [...pim.requests.values()].filter((r) => related(r.scope, scope) && (principal === null || r.principalId === principal));
    return { status: 200, body: { value: value.map(requestBody) } };
  }
  const key = name.toLowerCase();
  if (call.method === 'GET') {
    const found = pim.requests.get(key);
    return found && norm(found.scope) === norm(scope) ? { status: 200, body: requestBody(found) } : armError(404, 'RoleAssignmentScheduleRequestNotFound', `The role assignment schedule request '${name}' is not found.`);
  }
  if (call.method !== 'PUT') return armError(405, 'MethodNotAllowed', `${call.method} is not allowed on a schedule request`);
  // Schedule requests are immutable records: a name is used once.
  if (pim.requests.has(key)) return armError(409, 'RoleAssignmentScheduleRequestExists', `A role assignment schedule request named '${name}' already exists.`);
  const props = call.body?.properties;
  if (!props || !REQUEST_TYPES.includes(props.requestType)) return armError(400, 'InvalidRequestType', `requestType must be one of ${REQUEST_TYPES.join(', ')}`);
  const checked = checkPrincipalAndRole(fake, call.body);
  if ('status' in checked) return checked;
  if (props.justification !== undefined && typeof props.justification !== 'string') return armError(400, 'InvalidJustification', 'justification must be a string');
  const schedule = validateSchedule(props, props.requestType, now);
  if ('status' in schedule) return schedule;
  const principalId = props.principalId.toLowerCase();
  const matches = (i: PimInstance) => i.principalId === principalId && norm(i.scope) === norm(scope) && i.roleDefinitionId.split('/').at(-1)!.toLowerCase() === checked.roleGuid;
  const active = pim.instances.find(matches);
  const request: PimRequest = { name: key, scope, requestType: props.requestType, principalId, roleDefinitionId: props.roleDefinitionId, justification: props.justification, status: 'Provisioned' };
  if (props.requestType === 'AdminAssign') {
    if (active) return armError(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
    pim.instances.push({ scope, roleDefinitionId: props.roleDefinitionId, principalId, start: new Date(props.scheduleInfo.startDateTime), end: schedule.end, requestName: key });
  } else {
    if (!active) return armError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
    if (props.requestType === 'AdminRemove') {
      pim.instances = pim.instances.filter((i) => i !== active);
      request.status = 'Revoked';
    } else {
      active.end = schedule.end;
    }
  }
  pim.requests.set(key, request);
  return { status: 201, body: requestBody(request) };
}
