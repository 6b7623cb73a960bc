/* DCE-RPC interface UUIDs and operation names from the Microsoft protocol documents. */
#ifndef WA_RPC_NAMES_H
#define WA_RPC_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "../sensor/common.h"

/* Interfaces whose arguments rpc_ops.c decodes. Every other named one is RPC_IFACE_OTHER. */
enum rpc_iface_id {
    RPC_IFACE_UNKNOWN = 0,
    RPC_IFACE_SVCCTL,
    RPC_IFACE_ATSVC,
    RPC_IFACE_TSCH,
    RPC_IFACE_SRVSVC,
    RPC_IFACE_WINREG,
    RPC_IFACE_SAMR,
    RPC_IFACE_LSARPC,
    RPC_IFACE_DRSUAPI,
    RPC_IFACE_EPM,
    RPC_IFACE_OTHER
};

struct rpc_interface {
    const char *uuid;       /* lower-case text form */
    uint16_t version_major; /* as published (binds with other versions still match) */
    const char *name;       /* short name as in Zeek's dce_rpc.log ("svcctl") */
    enum rpc_iface_id id;
    const char *const *operations; /* indexed by opnum */
    uint16_t operation_count;
};

/* Returns the interface with this UUID (text, any case), or NULL when it is not in the table. */
const struct rpc_interface *rpc_names_find_interface(const char *uuid);

/* Returns the operation name of opnum, or NULL when iface is NULL or the opnum is unknown. */
const char *rpc_names_operation(const struct rpc_interface *iface, uint16_t opnum);

#endif
