/*
 * Interface and operation names for DCE-RPC, written from the Microsoft
 * protocol documents: MS-SCMR (svcctl), MS-TSCH (atsvc, SASec,
 * ITaskSchedulerService), MS-SRVS (srvsvc), MS-WKST (wkssvc), MS-RRP
 * (winreg), MS-SAMR, MS-LSAD and MS-LSAT (lsarpc), MS-DRSR (drsuapi, dsaop),
 * MS-NRPC (netlogon), MS-RPRN (spoolss), MS-PAR (IRemoteWinspool), MS-EVEN
 * (eventlog), MS-EVEN6 (IEventService), MS-EFSR (efsrpc), MS-DCOM and MS-OAUT
 * (activation, IRemUnknown, IDispatch), MS-WMI (IWbem*), MS-BKRP, MS-DSSP and
 * the endpoint mapper of C706 appendix O / MS-RPCE.
 *
 * Each operation list is indexed by opnum. DCOM interfaces start at opnum 3
 * because opnums 0 to 2 are IUnknown's, which are never sent on the wire.
 */
#include "rpc_names.h"

#include <string.h>
#include <strings.h>

static const char *const svcctl_operations[] = {
    "RCloseServiceHandle", "RControlService", "RDeleteService", "RLockServiceDatabase",
    "RQueryServiceObjectSecurity", "RSetServiceObjectSecurity", "RQueryServiceStatus",
    "RSetServiceStatus", "RUnlockServiceDatabase", "RNotifyBootConfigStatus",
    "Opnum10NotUsedOnWire", "RChangeServiceConfigW", "RCreateServiceW", "REnumDependentServicesW",
    "REnumServicesStatusW", "ROpenSCManagerW", "ROpenServiceW", "RQueryServiceConfigW",
    "RQueryServiceLockStatusW", "RStartServiceW", "RGetServiceDisplayNameW", "RGetServiceKeyNameW",
    "Opnum22NotUsedOnWire", "RChangeServiceConfigA", "RCreateServiceA", "REnumDependentServicesA",
    "REnumServicesStatusA", "ROpenSCManagerA", "ROpenServiceA", "RQueryServiceConfigA",
    "RQueryServiceLockStatusA", "RStartServiceA", "RGetServiceDisplayNameA", "RGetServiceKeyNameA",
    "Opnum34NotUsedOnWire", "REnumServiceGroupW", "RChangeServiceConfig2A",
    "RChangeServiceConfig2W", "RQueryServiceConfig2A", "RQueryServiceConfig2W",
    "RQueryServiceStatusEx", "REnumServicesStatusExA", "REnumServicesStatusExW",
    "Opnum43NotUsedOnWire", "RCreateServiceWOW64A", "RCreateServiceWOW64W", "Opnum46NotUsedOnWire",
    "RNotifyServiceStatusChange", "RGetNotifyResults", "RCloseNotifyHandle", "RControlServiceExA",
    "RControlServiceExW", "Opnum52NotUsedOnWire", "Opnum53NotUsedOnWire", "Opnum54NotUsedOnWire",
    "Opnum55NotUsedOnWire", "RQueryServiceConfigEx", "Opnum57NotUsedOnWire",
    "Opnum58NotUsedOnWire", "Opnum59NotUsedOnWire", "RCreateWowService", "ROpenSCManager2",
};

static const char *const atsvc_operations[] = {
    "NetrJobAdd", "NetrJobDel", "NetrJobEnum", "NetrJobGetInfo",
};

static const char *const itaskschedulerservice_operations[] = {
    "SchRpcHighestVersion", "SchRpcRegisterTask", "SchRpcRetrieveTask", "SchRpcCreateFolder",
    "SchRpcSetSecurity", "SchRpcGetSecurity", "SchRpcEnumFolders", "SchRpcEnumTasks",
    "SchRpcEnumInstances", "SchRpcGetInstanceInfo", "SchRpcStopInstance", "SchRpcStop",
    "SchRpcRun", "SchRpcDelete", "SchRpcRename", "SchRpcScheduledRuntimes", "SchRpcGetLastRunInfo",
    "SchRpcGetTaskInfo", "SchRpcGetNumberOfMissedRuns", "SchRpcEnableTask",
};

static const char *const sasec_operations[] = {
    "SASetAccountInformation", "SASetNSAccountInformation", "SAGetNSAccountInformation",
    "SAGetAccountInformation",
};

static const char *const srvsvc_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "Opnum3NotUsedOnWire",
    "Opnum4NotUsedOnWire", "Opnum5NotUsedOnWire", "Opnum6NotUsedOnWire", "Opnum7NotUsedOnWire",
    "NetrConnectionEnum", "NetrFileEnum", "NetrFileGetInfo", "NetrFileClose", "NetrSessionEnum",
    "NetrSessionDel", "NetrShareAdd", "NetrShareEnum", "NetrShareGetInfo", "NetrShareSetInfo",
    "NetrShareDel", "NetrShareDelSticky", "NetrShareCheck", "NetrServerGetInfo",
    "NetrServerSetInfo", "NetrServerDiskEnum", "NetrServerStatisticsGet", "NetrServerTransportAdd",
    "NetrServerTransportEnum", "NetrServerTransportDel", "NetrRemoteTOD", "Opnum29NotUsedOnWire",
    "NetprPathType", "NetprPathCanonicalize", "NetprPathCompare", "NetprNameValidate",
    "NetprNameCanonicalize", "NetprNameCompare", "NetrShareEnumSticky", "NetrShareDelStart",
    "NetrShareDelCommit", "NetrpGetFileSecurity", "NetrpSetFileSecurity",
    "NetrServerTransportAddEx", "Opnum42NotUsedOnWire", "NetrDfsGetVersion",
    "NetrDfsCreateLocalPartition", "NetrDfsDeleteLocalPartition", "NetrDfsSetLocalVolumeState",
    "Opnum47NotUsedOnWire", "NetrDfsCreateExitPoint", "NetrDfsDeleteExitPoint",
    "NetrDfsModifyPrefix", "NetrDfsFixLocalVolume", "NetrDfsManagerReportSiteInfo",
    "NetrServerTransportDelEx", "NetrServerAliasAdd", "NetrServerAliasEnum", "NetrServerAliasDel",
    "NetrShareDelEx",
};

static const char *const wkssvc_operations[] = {
    "NetrWkstaGetInfo", "NetrWkstaSetInfo", "NetrWkstaUserEnum", "Opnum3NotUsedOnWire",
    "Opnum4NotUsedOnWire", "NetrWkstaTransportEnum", "NetrWkstaTransportAdd",
    "NetrWkstaTransportDel", "NetrUseAdd", "NetrUseGetInfo", "NetrUseDel", "NetrUseEnum",
    "Opnum12NotUsedOnWire", "NetrWorkstationStatisticsGet", "Opnum14NotUsedOnWire",
    "Opnum15NotUsedOnWire", "Opnum16NotUsedOnWire", "Opnum17NotUsedOnWire", "Opnum18NotUsedOnWire",
    "Opnum19NotUsedOnWire", "NetrGetJoinInformation", "Opnum21NotUsedOnWire", "NetrJoinDomain2",
    "NetrUnjoinDomain2", "NetrRenameMachineInDomain2", "NetrValidateName2", "NetrGetJoinableOUs2",
    "NetrAddAlternateComputerName", "NetrRemoveAlternateComputerName",
    "NetrSetPrimaryComputerName", "NetrEnumerateComputerNames",
};

static const char *const winreg_operations[] = {
    "OpenClassesRoot", "OpenCurrentUser", "OpenLocalMachine", "OpenPerformanceData", "OpenUsers",
    "BaseRegCloseKey", "BaseRegCreateKey", "BaseRegDeleteKey", "BaseRegDeleteValue",
    "BaseRegEnumKey", "BaseRegEnumValue", "BaseRegFlushKey", "BaseRegGetKeySecurity",
    "BaseRegLoadKey", "Opnum14NotImplemented", "BaseRegOpenKey", "BaseRegQueryInfoKey",
    "BaseRegQueryValue", "BaseRegReplaceKey", "BaseRegRestoreKey", "BaseRegSaveKey",
    "BaseRegSetKeySecurity", "BaseRegSetValue", "BaseRegUnLoadKey", "BaseInitiateSystemShutdown",
    "BaseAbortSystemShutdown", "BaseRegGetVersion", "OpenCurrentConfig", "Opnum28NotImplemented",
    "BaseRegQueryMultipleValues", "BaseInitiateSystemShutdownEx", "BaseRegSaveKeyEx",
    "OpenPerformanceText", "OpenPerformanceNlsText", "BaseRegQueryMultipleValues2",
    "BaseRegDeleteKeyEx",
};

static const char *const samr_operations[] = {
    "SamrConnect", "SamrCloseHandle", "SamrSetSecurityObject", "SamrQuerySecurityObject",
    "Opnum4NotUsedOnWire", "SamrLookupDomainInSamServer", "SamrEnumerateDomainsInSamServer",
    "SamrOpenDomain", "SamrQueryInformationDomain", "SamrSetInformationDomain",
    "SamrCreateGroupInDomain", "SamrEnumerateGroupsInDomain", "SamrCreateUserInDomain",
    "SamrEnumerateUsersInDomain", "SamrCreateAliasInDomain", "SamrEnumerateAliasesInDomain",
    "SamrGetAliasMembership", "SamrLookupNamesInDomain", "SamrLookupIdsInDomain", "SamrOpenGroup",
    "SamrQueryInformationGroup", "SamrSetInformationGroup", "SamrAddMemberToGroup",
    "SamrDeleteGroup", "SamrRemoveMemberFromGroup", "SamrGetMembersInGroup",
    "SamrSetMemberAttributesOfGroup", "SamrOpenAlias", "SamrQueryInformationAlias",
    "SamrSetInformationAlias", "SamrDeleteAlias", "SamrAddMemberToAlias",
    "SamrRemoveMemberFromAlias", "SamrGetMembersInAlias", "SamrOpenUser", "SamrDeleteUser",
    "SamrQueryInformationUser", "SamrSetInformationUser", "SamrChangePasswordUser",
    "SamrGetGroupsForUser", "SamrQueryDisplayInformation", "SamrGetDisplayEnumerationIndex",
    "Opnum42NotUsedOnWire", "Opnum43NotUsedOnWire", "SamrGetUserDomainPasswordInformation",
    "SamrRemoveMemberFromForeignDomain", "SamrQueryInformationDomain2",
    "SamrQueryInformationUser2", "SamrQueryDisplayInformation2", "SamrGetDisplayEnumerationIndex2",
    "SamrCreateUser2InDomain", "SamrQueryDisplayInformation3", "SamrAddMultipleMembersToAlias",
    "SamrRemoveMultipleMembersFromAlias", "SamrOemChangePasswordUser2",
    "SamrUnicodeChangePasswordUser2", "SamrGetDomainPasswordInformation", "SamrConnect2",
    "SamrSetInformationUser2", "Opnum59NotUsedOnWire", "Opnum60NotUsedOnWire",
    "Opnum61NotUsedOnWire", "SamrConnect4", "Opnum63NotUsedOnWire", "SamrConnect5", "SamrRidToSid",
    "SamrSetDSRMPassword", "SamrValidatePassword",
};

static const char *const lsarpc_operations[] = {
    "LsarClose", "Opnum1NotUsedOnWire", "LsarEnumeratePrivileges", "LsarQuerySecurityObject",
    "LsarSetSecurityObject", "Opnum5NotUsedOnWire", "LsarOpenPolicy", "LsarQueryInformationPolicy",
    "LsarSetInformationPolicy", "Opnum9NotUsedOnWire", "LsarCreateAccount",
    "LsarEnumerateAccounts", "LsarCreateTrustedDomain", "LsarEnumerateTrustedDomains",
    "LsarLookupNames", "LsarLookupSids", "LsarCreateSecret", "LsarOpenAccount",
    "LsarEnumeratePrivilegesAccount", "LsarAddPrivilegesToAccount",
    "LsarRemovePrivilegesFromAccount", "Opnum21NotUsedOnWire", "Opnum22NotUsedOnWire",
    "LsarGetSystemAccessAccount", "LsarSetSystemAccessAccount", "LsarOpenTrustedDomain",
    "LsarQueryInfoTrustedDomain", "LsarSetInformationTrustedDomain", "LsarOpenSecret",
    "LsarSetSecret", "LsarQuerySecret", "LsarLookupPrivilegeValue", "LsarLookupPrivilegeName",
    "LsarLookupPrivilegeDisplayName", "LsarDeleteObject", "LsarEnumerateAccountsWithUserRight",
    "LsarEnumerateAccountRights", "LsarAddAccountRights", "LsarRemoveAccountRights",
    "LsarQueryTrustedDomainInfo", "LsarSetTrustedDomainInfo", "LsarDeleteTrustedDomain",
    "LsarStorePrivateData", "LsarRetrievePrivateData", "LsarOpenPolicy2", "LsarGetUserName",
    "LsarQueryInformationPolicy2", "LsarSetInformationPolicy2", "LsarQueryTrustedDomainInfoByName",
    "LsarSetTrustedDomainInfoByName", "LsarEnumerateTrustedDomainsEx", "LsarCreateTrustedDomainEx",
    "Opnum52NotUsedOnWire", "LsarQueryDomainInformationPolicy", "LsarSetDomainInformationPolicy",
    "LsarOpenTrustedDomainByName", "Opnum56NotUsedOnWire", "LsarLookupSids2", "LsarLookupNames2",
    "LsarCreateTrustedDomainEx2", "Opnum60NotUsedOnWire", "Opnum61NotUsedOnWire",
    "Opnum62NotUsedOnWire", "Opnum63NotUsedOnWire", "Opnum64NotUsedOnWire", "Opnum65NotUsedOnWire",
    "Opnum66NotUsedOnWire", "Opnum67NotUsedOnWire", "LsarLookupNames3", "Opnum69NotUsedOnWire",
    "Opnum70NotUsedOnWire", "Opnum71NotUsedOnWire", "Opnum72NotUsedOnWire",
    "LsarQueryForestTrustInformation", "LsarSetForestTrustInformation", "Opnum75NotUsedOnWire",
    "LsarLookupSids3", "LsarLookupNames4",
};

static const char *const drsuapi_operations[] = {
    "DRSBind", "DRSUnbind", "DRSReplicaSync", "DRSGetNCChanges", "DRSUpdateRefs", "DRSReplicaAdd",
    "DRSReplicaDel", "DRSReplicaModify", "DRSVerifyNames", "DRSGetMemberships",
    "DRSInterDomainMove", "DRSGetNT4ChangeLog", "DRSCrackNames", "DRSWriteSPN",
    "DRSRemoveDsServer", "DRSRemoveDsDomain", "DRSDomainControllerInfo", "DRSAddEntry",
    "DRSExecuteKCC", "DRSGetReplInfo", "DRSAddSidHistory", "DRSGetMemberships2",
    "DRSReplicaVerifyObjects", "DRSGetObjectExistence", "DRSQuerySitesByCost", "DRSInitDemotion",
    "DRSReplicaDemotion", "DRSFinishDemotion", "DRSAddCloneDC", "DRSWriteNgcKey", "DRSReadNgcKey",
};

static const char *const dsaop_operations[] = {
    "DSAPrepareScript", "DSAExecuteScript",
};

static const char *const netlogon_operations[] = {
    "NetrLogonUasLogon", "NetrLogonUasLogoff", "NetrLogonSamLogon", "NetrLogonSamLogoff",
    "NetrServerReqChallenge", "NetrServerAuthenticate", "NetrServerPasswordSet",
    "NetrDatabaseDeltas", "NetrDatabaseSync", "NetrAccountDeltas", "NetrAccountSync",
    "NetrGetDCName", "NetrLogonControl", "NetrGetAnyDCName", "NetrLogonControl2",
    "NetrServerAuthenticate2", "NetrDatabaseSync2", "NetrDatabaseRedo", "NetrLogonControl2Ex",
    "NetrEnumerateTrustedDomains", "DsrGetDcName", "NetrLogonGetCapabilities",
    "NetrLogonSetServiceBits", "NetrLogonGetTrustRid", "NetrLogonComputeServerDigest",
    "NetrLogonComputeClientDigest", "NetrServerAuthenticate3", "DsrGetDcNameEx", "DsrGetSiteName",
    "NetrLogonGetDomainInfo", "NetrServerPasswordSet2", "NetrServerPasswordGet",
    "NetrLogonSendToSam", "DsrAddressToSiteNamesW", "DsrGetDcNameEx2",
    "NetrLogonGetTimeServiceParentDomain", "NetrEnumerateTrustedDomainsEx",
    "DsrAddressToSiteNamesExW", "DsrGetDcSiteCoverageW", "NetrLogonSamLogonEx",
    "DsrEnumerateDomainTrusts", "DsrDeregisterDnsHostRecords", "NetrServerTrustPasswordsGet",
    "DsrGetForestTrustInformation", "NetrGetForestTrustInformation", "NetrLogonSamLogonWithFlags",
    "NetrServerGetTrustInfo",
};

static const char *const spoolss_operations[] = {
    "RpcEnumPrinters", "RpcOpenPrinter", "RpcSetJob", "RpcGetJob", "RpcEnumJobs", "RpcAddPrinter",
    "RpcDeletePrinter", "RpcSetPrinter", "RpcGetPrinter", "RpcAddPrinterDriver",
    "RpcEnumPrinterDrivers", "RpcGetPrinterDriver", "RpcGetPrinterDriverDirectory",
    "RpcDeletePrinterDriver", "RpcAddPrintProcessor", "RpcEnumPrintProcessors",
    "RpcGetPrintProcessorDirectory", "RpcStartDocPrinter", "RpcStartPagePrinter",
    "RpcWritePrinter", "RpcEndPagePrinter", "RpcAbortPrinter", "RpcReadPrinter",
    "RpcEndDocPrinter", "RpcAddJob", "RpcScheduleJob", "RpcGetPrinterData", "RpcSetPrinterData",
    "RpcWaitForPrinterChange", "RpcClosePrinter", "RpcAddForm", "RpcDeleteForm", "RpcGetForm",
    "RpcSetForm", "RpcEnumForms", "RpcEnumPorts", "RpcEnumMonitors", "Opnum37NotUsedOnWire",
    "Opnum38NotUsedOnWire", "RpcDeletePort", "RpcCreatePrinterIC", "RpcPlayGdiScriptOnPrinterIC",
    "RpcDeletePrinterIC", "Opnum43NotUsedOnWire", "Opnum44NotUsedOnWire", "Opnum45NotUsedOnWire",
    "RpcAddMonitor", "RpcDeleteMonitor", "RpcDeletePrintProcessor", "Opnum49NotUsedOnWire",
    "Opnum50NotUsedOnWire", "RpcEnumPrintProcessorDatatypes", "RpcResetPrinter",
    "RpcGetPrinterDriver2", "Opnum54NotUsedOnWire", "Opnum55NotUsedOnWire",
    "RpcFindClosePrinterChangeNotification", "Opnum57NotUsedOnWire", "RpcReplyOpenPrinter",
    "RpcRouterReplyPrinter", "RpcReplyClosePrinter", "RpcAddPortEx",
    "RpcRemoteFindFirstPrinterChangeNotification", "Opnum63NotUsedOnWire", "Opnum64NotUsedOnWire",
    "RpcRemoteFindFirstPrinterChangeNotificationEx", "RpcRouterReplyPrinterEx",
    "RpcRouterRefreshPrinterChangeNotification", "Opnum68NotUsedOnWire", "RpcOpenPrinterEx",
    "RpcAddPrinterEx", "RpcSetPort", "RpcEnumPrinterData", "RpcDeletePrinterData",
    "Opnum74NotUsedOnWire", "Opnum75NotUsedOnWire", "Opnum76NotUsedOnWire", "RpcSetPrinterDataEx",
    "RpcGetPrinterDataEx", "RpcEnumPrinterDataEx", "RpcEnumPrinterKey", "RpcDeletePrinterDataEx",
    "RpcDeletePrinterKey", "Opnum83NotUsedOnWire", "RpcDeletePrinterDriverEx",
    "RpcAddPerMachineConnection", "RpcDeletePerMachineConnection", "RpcEnumPerMachineConnections",
    "RpcXcvData", "RpcAddPrinterDriverEx",
};

static const char *const iremotewinspool_operations[] = {
    "RpcAsyncOpenPrinter", "RpcAsyncAddPrinter", "RpcAsyncSetJob", "RpcAsyncGetJob",
    "RpcAsyncEnumJobs", "RpcAsyncAddJob", "RpcAsyncScheduleJob", "RpcAsyncDeletePrinter",
    "RpcAsyncSetPrinter", "RpcAsyncGetPrinter", "RpcAsyncStartDocPrinter",
    "RpcAsyncStartPagePrinter", "RpcAsyncWritePrinter", "RpcAsyncEndPagePrinter",
    "RpcAsyncEndDocPrinter", "RpcAsyncAbortPrinter", "RpcAsyncGetPrinterData",
    "RpcAsyncGetPrinterDataEx", "RpcAsyncSetPrinterData", "RpcAsyncSetPrinterDataEx",
    "RpcAsyncClosePrinter", "RpcAsyncAddForm", "RpcAsyncDeleteForm", "RpcAsyncGetForm",
    "RpcAsyncSetForm", "RpcAsyncEnumForms", "RpcAsyncGetPrinterDriver", "RpcAsyncEnumPrinterData",
    "RpcAsyncEnumPrinterDataEx", "RpcAsyncEnumPrinterKey", "RpcAsyncDeletePrinterData",
    "RpcAsyncDeletePrinterDataEx", "RpcAsyncDeletePrinterKey", "RpcAsyncXcvData",
    "RpcAsyncSendRecvBidiData", "RpcAsyncCreatePrinterIC", "RpcAsyncPlayGdiScriptOnPrinterIC",
    "RpcAsyncDeletePrinterIC", "RpcAsyncEnumPrinters", "RpcAsyncAddPrinterDriver",
    "RpcAsyncEnumPrinterDrivers", "RpcAsyncGetPrinterDriverDirectory",
    "RpcAsyncDeletePrinterDriver", "RpcAsyncDeletePrinterDriverEx",
};

static const char *const eventlog_operations[] = {
    "ElfrClearELFW", "ElfrBackupELFW", "ElfrCloseEL", "ElfrDeregisterEventSource",
    "ElfrNumberOfRecords", "ElfrOldestRecord", "ElfrChangeNotify", "ElfrOpenELW",
    "ElfrRegisterEventSourceW", "ElfrOpenBELW", "ElfrReadELW", "ElfrReportEventW", "ElfrClearELFA",
    "ElfrBackupELFA", "ElfrOpenELA", "ElfrRegisterEventSourceA", "ElfrOpenBELA", "ElfrReadELA",
    "ElfrReportEventA", "Opnum19NotUsedOnWire", "Opnum20NotUsedOnWire", "Opnum21NotUsedOnWire",
    "ElfrGetLogInformation", "Opnum23NotUsedOnWire", "ElfrReportEventAndSourceW",
    "ElfrReportEventExW", "ElfrReportEventExA",
};

static const char *const ieventservice_operations[] = {
    "EvtRpcRegisterRemoteSubscription", "EvtRpcRemoteSubscriptionNextAsync",
    "EvtRpcRemoteSubscriptionNext", "EvtRpcRemoteSubscriptionWaitAsync",
    "EvtRpcRegisterControllableOperation", "EvtRpcRegisterLogQuery", "EvtRpcClearLog",
    "EvtRpcExportLog", "EvtRpcLocalizeExportLog", "EvtRpcMessageRender",
    "EvtRpcMessageRenderDefault", "EvtRpcQueryNext", "EvtRpcQuerySeek", "EvtRpcClose",
    "EvtRpcCancel", "EvtRpcAssertConfig", "EvtRpcRetractConfig", "EvtRpcOpenLogHandle",
    "EvtRpcGetLogFileInfo", "EvtRpcGetChannelList", "EvtRpcGetChannelConfig",
    "EvtRpcPutChannelConfig", "EvtRpcGetPublisherList", "EvtRpcGetPublisherListForChannel",
    "EvtRpcGetPublisherMetadata", "EvtRpcGetPublisherResourceMetadata",
    "EvtRpcGetEventMetadataEnum", "EvtRpcGetNextEventMetadata", "EvtRpcGetClassicLogDisplayName",
};

static const char *const efsrpc_operations[] = {
    "EfsRpcOpenFileRaw", "EfsRpcReadFileRaw", "EfsRpcWriteFileRaw", "EfsRpcCloseRaw",
    "EfsRpcEncryptFileSrv", "EfsRpcDecryptFileSrv", "EfsRpcQueryUsersOnFile",
    "EfsRpcQueryRecoveryAgents", "EfsRpcRemoveUsersFromFile", "EfsRpcAddUsersToFile",
    "Opnum10NotUsedOnWire", "EfsRpcNotSupported", "EfsRpcFileKeyInfo",
    "EfsRpcDuplicateEncryptionInfoFile", "Opnum14NotUsedOnWire", "EfsRpcAddUsersToFileEx",
    "EfsRpcFileKeyInfoEx", "Opnum17NotUsedOnWire", "EfsRpcGetEncryptedFileMetadata",
    "EfsRpcSetEncryptedFileMetadata", "EfsRpcFlushEfsCache", "EfsRpcEncryptFileExSrv",
    "EfsRpcQueryProtectors",
};

static const char *const epm_operations[] = {
    "ept_insert", "ept_delete", "ept_lookup", "ept_map", "ept_lookup_handle_free",
    "ept_inq_object", "ept_mgmt_delete",
};

static const char *const iremotescmactivator_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "RemoteGetClassObject",
    "RemoteCreateInstance",
};

static const char *const iactivation_operations[] = {
    "RemoteActivation",
};

static const char *const iobjectexporter_operations[] = {
    "ResolveOxid", "SimplePing", "ComplexPing", "ServerAlive", "ResolveOxid2", "ServerAlive2",
};

static const char *const iremunknown_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "RemQueryInterface",
    "RemAddRef", "RemRelease",
};

static const char *const iremunknown2_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "RemQueryInterface",
    "RemAddRef", "RemRelease", "RemQueryInterface2",
};

static const char *const idispatch_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "GetTypeInfoCount",
    "GetTypeInfo", "GetIDsOfNames", "Invoke",
};

static const char *const iwbemlevel1login_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "EstablishPosition",
    "RequestChallenge", "WBEMLogin", "NTLMLogin",
};

static const char *const iwbemservices_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "OpenNamespace",
    "CancelAsyncCall", "QueryObjectSink", "GetObject", "GetObjectAsync", "PutClass",
    "PutClassAsync", "DeleteClass", "DeleteClassAsync", "CreateClassEnum", "CreateClassEnumAsync",
    "PutInstance", "PutInstanceAsync", "DeleteInstance", "DeleteInstanceAsync",
    "CreateInstanceEnum", "CreateInstanceEnumAsync", "ExecQuery", "ExecQueryAsync",
    "ExecNotificationQuery", "ExecNotificationQueryAsync", "ExecMethod", "ExecMethodAsync",
};

static const char *const ienumwbemclassobject_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "Reset", "Next",
    "NextAsync", "Clone", "Skip",
};

static const char *const iwbemfetchsmartenum_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "GetSmartEnum",
};

static const char *const iwbemwcosmartenum_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "Next",
};

static const char *const iwbemcallresult_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "GetResultObject",
    "GetResultString", "GetResultServices", "GetCallStatus",
};

static const char *const iwbemloginclientid_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "SetClientInfo",
};

static const char *const iwbemobjectsink_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "Indicate", "SetStatus",
};

static const char *const iwbemremoterefresher_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "RemoteRefresh",
    "StopRefreshing",
};

static const char *const iwbemrefreshingservices_operations[] = {
    "Opnum0NotUsedOnWire", "Opnum1NotUsedOnWire", "Opnum2NotUsedOnWire", "AddObjectToRefresher",
    "AddObjectToRefresherByTemplate", "AddEnumToRefresher", "RemoveObjectFromRefresher",
    "GetRemoteRefresher", "ReconnectRemoteRefresher",
};

static const char *const backupkey_operations[] = {
    "BackuprKey",
};

static const char *const dssetup_operations[] = {
    "DsRolerGetPrimaryDomainInformation",
};

#define OPERATIONS(list) list, (uint16_t)WA_ARRAY_LEN(list)

static const struct rpc_interface rpc_interfaces[] = {
    {"367abb81-9844-35f1-ad32-98f038001003", 2, "svcctl", RPC_IFACE_SVCCTL,
     OPERATIONS(svcctl_operations)},
    {"1ff70682-0a51-30e8-076d-740be8cee98b", 1, "atsvc", RPC_IFACE_ATSVC,
     OPERATIONS(atsvc_operations)},
    {"86d35949-83c9-4044-b424-db363231fd0c", 1, "ITaskSchedulerService", RPC_IFACE_TSCH,
     OPERATIONS(itaskschedulerservice_operations)},
    {"378e52b0-c0a9-11cf-822d-00aa0051e40f", 1, "sasec", RPC_IFACE_OTHER,
     OPERATIONS(sasec_operations)},
    {"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, "srvsvc", RPC_IFACE_SRVSVC,
     OPERATIONS(srvsvc_operations)},
    {"6bffd098-a112-3610-9833-46c3f87e345a", 1, "wkssvc", RPC_IFACE_OTHER,
     OPERATIONS(wkssvc_operations)},
    {"338cd001-2244-31f1-aaaa-900038001003", 1, "winreg", RPC_IFACE_WINREG,
     OPERATIONS(winreg_operations)},
    {"12345778-1234-abcd-ef00-0123456789ac", 1, "samr", RPC_IFACE_SAMR,
     OPERATIONS(samr_operations)},
    {"12345778-1234-abcd-ef00-0123456789ab", 0, "lsarpc", RPC_IFACE_LSARPC,
     OPERATIONS(lsarpc_operations)},
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", 4, "drsuapi", RPC_IFACE_DRSUAPI,
     OPERATIONS(drsuapi_operations)},
    {"7c44d7d4-31d5-424c-bd5e-2b3e1f323d22", 1, "dsaop", RPC_IFACE_OTHER,
     OPERATIONS(dsaop_operations)},
    {"12345678-1234-abcd-ef00-01234567cffb", 1, "netlogon", RPC_IFACE_OTHER,
     OPERATIONS(netlogon_operations)},
    {"12345678-1234-abcd-ef00-0123456789ab", 1, "spoolss", RPC_IFACE_OTHER,
     OPERATIONS(spoolss_operations)},
    {"76f03f96-cdfd-44fc-a22c-64950a001209", 1, "IRemoteWinspool", RPC_IFACE_OTHER,
     OPERATIONS(iremotewinspool_operations)},
    {"82273fdc-e32a-18c3-3f78-827929dc23ea", 0, "eventlog", RPC_IFACE_OTHER,
     OPERATIONS(eventlog_operations)},
    {"f6beaff7-1e19-4fbb-9f8f-b89e2018337c", 1, "IEventService", RPC_IFACE_OTHER,
     OPERATIONS(ieventservice_operations)},
    {"c681d488-d850-11d0-8c52-00c04fd90f7e", 1, "efsrpc", RPC_IFACE_OTHER,
     OPERATIONS(efsrpc_operations)},
    {"df1941c5-fe89-4e79-bf10-463657acf44d", 1, "efsrpc", RPC_IFACE_OTHER,
     OPERATIONS(efsrpc_operations)},
    {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, "epm", RPC_IFACE_EPM,
     OPERATIONS(epm_operations)},
    {"000001a0-0000-0000-c000-000000000046", 0, "IRemoteSCMActivator", RPC_IFACE_OTHER,
     OPERATIONS(iremotescmactivator_operations)},
    {"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", 0, "IActivation", RPC_IFACE_OTHER,
     OPERATIONS(iactivation_operations)},
    {"99fcfec4-5260-101b-bbcb-00aa0021347a", 0, "IObjectExporter", RPC_IFACE_OTHER,
     OPERATIONS(iobjectexporter_operations)},
    {"00000131-0000-0000-c000-000000000046", 0, "IRemUnknown", RPC_IFACE_OTHER,
     OPERATIONS(iremunknown_operations)},
    {"00000143-0000-0000-c000-000000000046", 0, "IRemUnknown2", RPC_IFACE_OTHER,
     OPERATIONS(iremunknown2_operations)},
    {"00020400-0000-0000-c000-000000000046", 0, "IDispatch", RPC_IFACE_OTHER,
     OPERATIONS(idispatch_operations)},
    {"f309ad18-d86a-11d0-a075-00c04fb68820", 0, "IWbemLevel1Login", RPC_IFACE_OTHER,
     OPERATIONS(iwbemlevel1login_operations)},
    {"9556dc99-828c-11cf-a37e-00aa003240c7", 0, "IWbemServices", RPC_IFACE_OTHER,
     OPERATIONS(iwbemservices_operations)},
    {"027947e1-d731-11ce-a357-000000000001", 0, "IEnumWbemClassObject", RPC_IFACE_OTHER,
     OPERATIONS(ienumwbemclassobject_operations)},
    {"1c1c45ee-4395-11d2-b60b-00104b703efd", 0, "IWbemFetchSmartEnum", RPC_IFACE_OTHER,
     OPERATIONS(iwbemfetchsmartenum_operations)},
    {"423ec01e-2e35-11d2-b604-00104b703efd", 0, "IWbemWCOSmartEnum", RPC_IFACE_OTHER,
     OPERATIONS(iwbemwcosmartenum_operations)},
    {"44aca674-e8fc-11d0-a07c-00c04fb68820", 0, "IWbemCallResult", RPC_IFACE_OTHER,
     OPERATIONS(iwbemcallresult_operations)},
    {"d4781cd6-e5d3-44df-ad94-930efe48a887", 0, "IWbemLoginClientID", RPC_IFACE_OTHER,
     OPERATIONS(iwbemloginclientid_operations)},
    {"7c857801-7381-11cf-884d-00aa004b2e24", 0, "IWbemObjectSink", RPC_IFACE_OTHER,
     OPERATIONS(iwbemobjectsink_operations)},
    {"f1e9c5b2-f59b-11d2-b362-00105a1f8177", 0, "IWbemRemoteRefresher", RPC_IFACE_OTHER,
     OPERATIONS(iwbemremoterefresher_operations)},
    {"2c9273e0-1dc3-11d3-b364-00105a1f8177", 0, "IWbemRefreshingServices", RPC_IFACE_OTHER,
     OPERATIONS(iwbemrefreshingservices_operations)},
    {"3dde7c30-165d-11d1-ab8f-00805f14db40", 1, "BackupKey", RPC_IFACE_OTHER,
     OPERATIONS(backupkey_operations)},
    {"3919286a-b10c-11d0-9ba8-00c04fd92ef5", 0, "dssetup", RPC_IFACE_OTHER,
     OPERATIONS(dssetup_operations)},
};

const struct rpc_interface *rpc_names_find_interface(const char *uuid)
{
    for (size_t i = 0; i < WA_ARRAY_LEN(rpc_interfaces); i++) {
        if (strcasecmp(rpc_interfaces[i].uuid, uuid) == 0) {
            return &rpc_interfaces[i];
        }
    }
    return NULL;
}

const char *rpc_names_operation(const struct rpc_interface *iface, uint16_t opnum)
{
    if (iface == NULL || opnum >= iface->operation_count) {
        return NULL;
    }
    return iface->operations[opnum];
}
