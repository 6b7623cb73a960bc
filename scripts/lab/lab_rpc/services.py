"""The RPC interfaces that the lab responder serves in place of Samba 4.17."""

import datetime
import logging
import os
import re
import threading

from impacket.dcerpc.v5 import atsvc, rrp, scmr, tsch
from impacket.dcerpc.v5.dtypes import NULL
from impacket.uuid import uuidtup_to_bin

LOG = logging.getLogger("rpc-responder")

ERROR_SUCCESS = 0
ERROR_SERVICE_DOES_NOT_EXIST = 0x424
ERROR_FILE_NOT_FOUND = 2
SERVICE_STOPPED = 1
SERVICE_RUNNING = 4

# Output written where smbexec and atexec read a command's result.
COMMAND_OUTPUT = {
    "cd": "C:\\Windows\\system32\r\n",
    "whoami": "filesrv\\administrator\r\n",
}

# Services that exist before any tool creates one: secretsdump checks
# RemoteRegistry before it opens winreg.
BUILTIN_SERVICES = {
    "remoteregistry": {
        "name": "RemoteRegistry",
        "display": "Remote Registry",
        "path": "C:\\Windows\\system32\\svchost.exe -k localService",
        "state": SERVICE_RUNNING,
    },
}

def write_share_file(share_root, share, relative_path, text):
    """Write text to a file named by a share and a path inside it."""
    base = share_root if share.upper() == "C" else os.path.join(share_root, "Windows")
    target = os.path.join(base, *relative_path.replace("\\", "/").split("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="ascii", newline="") as output:
        output.write(text)
    LOG.info("wrote %s", target)


def fake_output(command):
    words = command.strip().split()
    return COMMAND_OUTPUT.get(words[0].lower(), "") if words else ""


class ServiceControlManager:
    """svcctl (MS-SCMR) over a service table that lives for the run."""

    uuid = uuidtup_to_bin(("367ABB81-9844-35F1-AD32-98F038001003", "2.0"))

    def __init__(self, options):
        self.options = options
        self.lock = threading.Lock()
        self.services = {key: dict(value) for key, value in BUILTIN_SERVICES.items()}
        self.handles = {}
        self.handlers = {
            0: self.close_handle,
            1: self.control_service,
            2: self.delete_service,
            6: self.query_status,
            12: self.create_service,
            15: self.open_manager,
            16: self.open_service,
            17: self.query_config,
            19: self.start_service,
        }

    def new_handle(self, key):
        handle = b"\0" * 4 + os.urandom(16)
        with self.lock:
            self.handles[handle] = key
        return handle

    def service_for(self, handle):
        key = self.handles.get(bytes(handle))
        return self.services.get(key) if key else None

    def open_manager(self, stub):
        request = scmr.ROpenSCManagerW(stub)
        LOG.info("OpenSCManagerW %s", request["lpMachineName"])
        response = scmr.ROpenSCManagerWResponse()
        response["lpScHandle"] = self.new_handle(None)
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def create_service(self, stub):
        request = scmr.RCreateServiceW(stub)
        name = request["lpServiceName"].rstrip("\0")
        path = request["lpBinaryPathName"]
        path = path.rstrip("\0") if path else ""
        display = request["lpDisplayName"]
        LOG.info("CreateServiceW %s path %s", name, path)
        with self.lock:
            self.services[name.lower()] = {
                "name": name,
                "display": display.rstrip("\0") if display else name,
                "path": path,
                "state": SERVICE_STOPPED,
            }
        response = scmr.RCreateServiceWResponse()
        response["lpdwTagId"] = NULL
        response["lpServiceHandle"] = self.new_handle(name.lower())
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def open_service(self, stub):
        request = scmr.ROpenServiceW(stub)
        key = request["lpServiceName"].rstrip("\0").lower()
        response = scmr.ROpenServiceWResponse()
        if key in self.services:
            response["lpServiceHandle"] = self.new_handle(key)
            response["ErrorCode"] = ERROR_SUCCESS
        else:
            response["lpServiceHandle"] = b"\0" * 20
            response["ErrorCode"] = ERROR_SERVICE_DOES_NOT_EXIST
        return response.getData()

    def start_service(self, stub):
        request = scmr.RStartServiceW(stub)
        service = self.service_for(request["hService"])
        response = scmr.RStartServiceWResponse()
        response["ErrorCode"] = ERROR_SUCCESS
        if service is None:
            response["ErrorCode"] = ERROR_SERVICE_DOES_NOT_EXIST
            return response.getData()
        service["state"] = SERVICE_RUNNING
        LOG.info("StartServiceW %s", service["name"])
        self.emulate_command(service["path"])
        return response.getData()

    def emulate_command(self, path):
        # smbexec: "... echo <command> ^> \\HOST\C$\__output 2^>^&1 > ..."
        match = re.search(r"echo (.*?) \^> \\\\[^\\]+\\(\w+)\$\\(\S+) ", path)
        if match:
            command, share, relative = match.groups()
            write_share_file(self.options.share_root, share, relative, fake_output(command))

    def status_response(self, response_class, service):
        response = response_class()
        status = response["lpServiceStatus"]
        status["dwServiceType"] = scmr.SERVICE_WIN32_OWN_PROCESS
        status["dwCurrentState"] = service["state"] if service else SERVICE_STOPPED
        status["dwControlsAccepted"] = 1
        response["ErrorCode"] = ERROR_SUCCESS if service else ERROR_SERVICE_DOES_NOT_EXIST
        return response.getData()

    def query_status(self, stub):
        request = scmr.RQueryServiceStatus(stub)
        service = self.service_for(request["hService"])
        return self.status_response(scmr.RQueryServiceStatusResponse, service)

    def control_service(self, stub):
        request = scmr.RControlService(stub)
        service = self.service_for(request["hService"])
        if service:
            service["state"] = SERVICE_STOPPED
        return self.status_response(scmr.RControlServiceResponse, service)

    def delete_service(self, stub):
        request = scmr.RDeleteService(stub)
        key = self.handles.get(bytes(request["hService"]))
        response = scmr.RDeleteServiceResponse()
        with self.lock:
            found = self.services.pop(key, None) if key else None
        response["ErrorCode"] = ERROR_SUCCESS if found else ERROR_SERVICE_DOES_NOT_EXIST
        return response.getData()

    def query_config(self, stub):
        request = scmr.RQueryServiceConfigW(stub)
        service = self.service_for(request["hService"])
        response = scmr.RQueryServiceConfigWResponse()
        config = response["lpServiceConfig"]
        config["dwServiceType"] = scmr.SERVICE_WIN32_OWN_PROCESS
        config["dwStartType"] = scmr.SERVICE_DEMAND_START
        config["dwErrorControl"] = scmr.SERVICE_ERROR_IGNORE
        config["lpBinaryPathName"] = (service["path"] if service else "") + "\0"
        config["lpLoadOrderGroup"] = "\0"
        config["dwTagId"] = 0
        config["lpDependencies"] = "\0"
        config["lpServiceStartName"] = "LocalSystem\0"
        config["lpDisplayName"] = (service["display"] if service else "") + "\0"
        response["pcbBytesNeeded"] = 0
        response["ErrorCode"] = ERROR_SUCCESS if service else ERROR_SERVICE_DOES_NOT_EXIST
        return response.getData()

    def close_handle(self, stub):
        request = scmr.RCloseServiceHandle(stub)
        with self.lock:
            self.handles.pop(bytes(request["hSCObject"]), None)
        response = scmr.RCloseServiceHandleResponse()
        response["hSCObject"] = b"\0" * 20
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()


class TaskScheduler:
    """ITaskSchedulerService (MS-TSCH) over a task table that lives for the run."""

    uuid = uuidtup_to_bin(("86D35949-83C9-4044-B424-DB363231FD0C", "1.0"))

    def __init__(self, options):
        self.options = options
        self.tasks = {}
        self.handlers = {
            0: self.highest_version,
            1: self.register_task,
            12: self.run_task,
            13: self.delete_task,
            16: self.last_run_info,
        }

    def highest_version(self, stub):
        response = tsch.SchRpcHighestVersionResponse()
        response["pVersion"] = 0x00010004
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def register_task(self, stub):
        request = tsch.SchRpcRegisterTask(stub)
        path = request["path"].rstrip("\0")
        self.tasks[path.lower()] = {"xml": request["xml"].rstrip("\0"), "ran": None}
        LOG.info("SchRpcRegisterTask %s", path)
        response = tsch.SchRpcRegisterTaskResponse()
        response["pActualPath"] = path + "\0"
        response["pErrorInfo"] = NULL
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def run_task(self, stub):
        request = tsch.SchRpcRun(stub)
        path = request["path"].rstrip("\0")
        task = self.tasks.get(path.lower())
        response = tsch.SchRpcRunResponse()
        response["pGuid"] = os.urandom(16)
        response["ErrorCode"] = ERROR_SUCCESS if task else ERROR_FILE_NOT_FOUND
        if task:
            task["ran"] = datetime.datetime.utcnow()
            LOG.info("SchRpcRun %s", path)
            self.emulate_command(task["xml"])
        return response.getData()

    def emulate_command(self, xml):
        # atexec: <Arguments>/C <command> &gt; %windir%\Temp\<name>.tmp 2&gt;&amp;1</Arguments>
        match = re.search(r"<Arguments>/C (.*?) &gt; %windir%\\(\S+) 2&gt;", xml)
        if match:
            command, relative = match.groups()
            write_share_file(self.options.share_root, "ADMIN", relative, fake_output(command))

    def last_run_info(self, stub):
        request = tsch.SchRpcGetLastRunInfo(stub)
        task = self.tasks.get(request["path"].rstrip("\0").lower())
        response = tsch.SchRpcGetLastRunInfoResponse()
        when = task["ran"] if task and task["ran"] else None
        run_time = response["pLastRuntime"]
        run_time["wYear"] = when.year if when else 0
        run_time["wMonth"] = when.month if when else 0
        run_time["wDayOfWeek"] = when.isoweekday() % 7 if when else 0
        run_time["wDay"] = when.day if when else 0
        run_time["wHour"] = when.hour if when else 0
        run_time["wMinute"] = when.minute if when else 0
        run_time["wSecond"] = when.second if when else 0
        run_time["wMilliseconds"] = 0
        response["pLastReturnCode"] = 0
        response["ErrorCode"] = ERROR_SUCCESS if task else ERROR_FILE_NOT_FOUND
        return response.getData()

    def delete_task(self, stub):
        request = tsch.SchRpcDelete(stub)
        found = self.tasks.pop(request["path"].rstrip("\0").lower(), None)
        LOG.info("SchRpcDelete %s", request["path"].rstrip("\0"))
        response = tsch.SchRpcDeleteResponse()
        response["ErrorCode"] = ERROR_SUCCESS if found else ERROR_FILE_NOT_FOUND
        return response.getData()


class AtService:
    """ATSVC (MS-TSCH 3.2.5.2), the legacy "at" job interface, over a job table."""

    uuid = uuidtup_to_bin(("1FF70682-0A51-30E8-076D-740BE8CEE98B", "1.0"))

    def __init__(self):
        self.jobs = {}
        self.next_job_id = 1
        self.handlers = {
            0: self.add_job,
            1: self.delete_jobs,
            2: self.enumerate_jobs,
        }

    def add_job(self, stub):
        request = atsvc.NetrJobAdd(stub)
        info = request["pAtInfo"]
        job_id = self.next_job_id
        self.next_job_id += 1
        self.jobs[job_id] = {
            "time": info["JobTime"],
            "flags": info["Flags"],
            "command": info["Command"].rstrip("\0"),
        }
        LOG.info("NetrJobAdd %d: %s", job_id, self.jobs[job_id]["command"])
        response = atsvc.NetrJobAddResponse()
        response["pJobId"] = job_id
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def delete_jobs(self, stub):
        request = atsvc.NetrJobDel(stub)
        first, last = request["MinJobId"], request["MaxJobId"]
        for job_id in [job_id for job_id in self.jobs if first <= job_id <= last]:
            del self.jobs[job_id]
        LOG.info("NetrJobDel %d..%d", first, last)
        response = atsvc.NetrJobDelResponse()
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def enumerate_jobs(self, stub):
        atsvc.NetrJobEnum(stub)
        response = atsvc.NetrJobEnumResponse()
        container = response["pEnumContainer"]
        container["EntriesRead"] = len(self.jobs)
        for job_id, job in sorted(self.jobs.items()):
            entry = atsvc.AT_ENUM()
            entry["JobId"] = job_id
            entry["JobTime"] = job["time"]
            entry["DaysOfMonth"] = 0
            entry["DaysOfWeek"] = 0
            entry["Flags"] = job["flags"]
            entry["Command"] = job["command"] + "\0"
            container["Buffer"].append(entry)
        response["pTotalEntries"] = len(self.jobs)
        response["pResumeHandle"] = NULL
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()


class RemoteRegistry:
    """winreg (MS-RRP) calls that secretsdump.py makes, over a fixed key set.

    Samba's own winreg serves every other technique. This one listens on a
    socket that the lab swaps in only while secretsdump.py runs, because
    Samba 4.17 faults Impacket's BaseRegQueryInfoKey and rejects
    BaseRegSaveKey of a relative file name.
    """

    uuid = uuidtup_to_bin(("338CD001-2244-31F1-AAAA-900038001003", "1.0"))

    # Class names of the four keys whose concatenation is the boot key
    # (32 hex digits). The values are made up for the lab.
    BOOT_KEY_CLASSES = {
        "jd": "5a3c9e01",
        "skew1": "7b21d4c8",
        "gbg": "c0ffee42",
        "data": "19e8a6b3",
    }

    def __init__(self, options):
        self.options = options
        self.keys = {}
        self.handlers = {
            2: self.open_local_machine,
            5: self.close_key,
            6: self.create_key,
            15: self.open_key,
            16: self.query_info_key,
            17: self.query_value,
            20: self.save_key,
        }

    def new_handle(self, response_key, path):
        """Store a new key handle for path in the RPC_HKEY field response_key."""
        handle = os.urandom(16)
        self.keys[handle] = path
        response_key["context_handle_attributes"] = 0
        response_key["context_handle_uuid"] = handle

    def key_path(self, request_key):
        return self.keys.get(bytes(request_key["context_handle_uuid"]), "")

    def open_local_machine(self, stub):
        rrp.OpenLocalMachine(stub)
        response = rrp.OpenLocalMachineResponse()
        self.new_handle(response["phKey"], "HKLM")
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def open_subkey(self, stub, request_class, response_class):
        request = request_class(stub)
        path = self.key_path(request["hKey"]) + "\\" + request["lpSubKey"].rstrip("\0")
        LOG.info("%s %s", request_class.__name__, path)
        response = response_class()
        self.new_handle(response["phkResult"], path)
        response["ErrorCode"] = ERROR_SUCCESS
        return response

    def open_key(self, stub):
        return self.open_subkey(stub, rrp.BaseRegOpenKey, rrp.BaseRegOpenKeyResponse).getData()

    def create_key(self, stub):
        response = self.open_subkey(stub, rrp.BaseRegCreateKey, rrp.BaseRegCreateKeyResponse)
        response["lpdwDisposition"] = 2  # REG_OPENED_EXISTING_KEY
        return response.getData()

    def query_info_key(self, stub):
        request = rrp.BaseRegQueryInfoKey(stub)
        leaf = self.key_path(request["hKey"]).rsplit("\\", 1)[-1].lower()
        response = rrp.BaseRegQueryInfoKeyResponse()
        response["lpClassOut"] = self.BOOT_KEY_CLASSES.get(leaf, "") + "\0"
        for field in ("lpcSubKeys", "lpcbMaxSubKeyLen", "lpcbMaxClassLen", "lpcValues",
                      "lpcbMaxValueNameLen", "lpcbMaxValueLen", "lpcbSecurityDescriptor"):
            response[field] = 0
        response["lpftLastWriteTime"]["dwLowDateTime"] = 0
        response["lpftLastWriteTime"]["dwHighDateTime"] = 0
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def query_value(self, stub):
        # secretsdump.py reads the NoLmHash value. ERROR_FILE_NOT_FOUND is a
        # normal result for it, and the tool carries on.
        request = rrp.BaseRegQueryValue(stub)
        LOG.info("BaseRegQueryValue %s\\%s", self.key_path(request["hKey"]),
                 request["lpValueName"].rstrip("\0"))
        response = rrp.BaseRegQueryValueResponse()
        response["lpType"] = NULL
        response["lpData"] = NULL
        response["lpcbData"] = NULL
        response["lpcbLen"] = NULL
        response["ErrorCode"] = ERROR_FILE_NOT_FOUND
        return response.getData()

    def save_key(self, stub):
        request = rrp.BaseRegSaveKey(stub)
        file_name = request["lpFile"].rstrip("\0")
        LOG.info("BaseRegSaveKey %s to %s", self.key_path(request["hKey"]), file_name)
        # Windows resolves a relative name against %SystemRoot%\System32. The
        # file is a bare "regf" signature, not a hive, so the tool's parser
        # fails after it has read the file back over ADMIN$.
        relative = file_name if ":" in file_name else "System32\\" + file_name
        relative = relative.split(":", 1)[-1].lstrip("\\")
        if relative.lower().startswith("windows\\"):
            relative = relative[len("windows\\"):]
        write_share_file(self.options.share_root, "ADMIN", relative, "regf" + "\0" * 4092)
        response = rrp.BaseRegSaveKeyResponse()
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def close_key(self, stub):
        request = rrp.BaseRegCloseKey(stub)
        self.keys.pop(bytes(request["hKey"]["context_handle_uuid"]), None)
        response = rrp.BaseRegCloseKeyResponse()
        response["hKey"]["context_handle_attributes"] = 0
        response["hKey"]["context_handle_uuid"] = b"\0" * 16
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()
