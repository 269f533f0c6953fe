import { AssetRegisteredV1, AssetStatusChangedV1, RegisterAssetV1 } from './assets';
import type { MessageContract } from './message';
import { AssetsExistV1, GetAssetV1, ListAssetsInBboxV1 } from './queries';
import { CommandReplyV1, QueryReplyV1 } from './replies';
import { PositionReportedV1 } from './telemetry';
import { RegisterTenantV1, TenantRegisteredV1 } from './tenants';
import { Topics } from './topics';

/** Where each message type travels; the AsyncAPI document is generated from this list. */
export const catalogue: readonly { readonly contract: MessageContract; readonly topic: string }[] = [
  { contract: RegisterAssetV1, topic: Topics.workflowCommands },
  { contract: AssetRegisteredV1, topic: Topics.workflowEvents },
  { contract: AssetStatusChangedV1, topic: Topics.workflowEvents },
  { contract: PositionReportedV1, topic: Topics.telemetryPositions },
  { contract: GetAssetV1, topic: Topics.geoQueryRequests },
  { contract: ListAssetsInBboxV1, topic: Topics.geoQueryRequests },
  { contract: AssetsExistV1, topic: Topics.geoQueryRequests },
  { contract: CommandReplyV1, topic: 'meridian.{service}.replies.{instance}' },
  { contract: QueryReplyV1, topic: 'meridian.{service}.replies.{instance}' },
  { contract: RegisterTenantV1, topic: Topics.identityCommands },
  { contract: TenantRegisteredV1, topic: Topics.identityEvents },
];
