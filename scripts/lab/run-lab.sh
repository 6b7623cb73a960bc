#!/bin/bash
# Attack replay lab: runs real attack tools (Samba's clients and Impacket's
# examples) against a real Samba server inside two private network namespaces
# and writes one capture per technique to pcaps/<technique>-<variant>.pcap.
#
# Usage: scripts/lab/run-lab.sh [-o DIR] [-w COMMAND] [-l] [TECHNIQUE...]
#   -o DIR      write captures to DIR (default: pcaps/ in the repository)
#   -w COMMAND  start COMMAND in the server namespace before the first technique
#               and stop it with SIGINT after the last; $LAB_IFACE names the
#               server-side veth. Used by the live-capture test.
#   -l          list the techniques and exit
# With no TECHNIQUE every technique runs. Needs root on Debian 12 with the
# packages from scripts/install-deps.sh. Everything the lab sends stays on the
# veth pair between the two namespaces: there is no default route, and the
# lab checks the attacker's routing table before the first packet.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
PYTHON=/usr/bin/python3
IMPACKET_EXAMPLES=/usr/share/doc/python3-impacket/examples
SAMBA_LIBEXEC=/usr/libexec/samba

# Names carry the lab's pid so that parallel runs cannot collide. Linux
# limits interface names to 15 characters: "wasrv" and a pid of up to 7
# digits fit.
LAB_ID=$$
NS_SERVER=wa-srv-$LAB_ID
NS_ATTACKER=wa-atk-$LAB_ID
VETH_SERVER=wasrv$LAB_ID
VETH_ATTACKER=waatk$LAB_ID

# TEST-NET-1 (RFC 5737): documentation addresses that are never routed.
LAB_SUBNET=192.0.2.0/24
SERVER_ADDR=192.0.2.10
ATTACKER_ADDR=192.0.2.66
SERVER_NAME=FILESRV
LAB_DOMAIN=WALAB
LAB_USER=Administrator
LAB_PASSWORD='Lab-Passw0rd1'

OUT_DIR=$REPO_DIR/pcaps
WATCH_COMMAND=""
LOG_DIR=${LAB_LOG_DIR:-$REPO_DIR/build/lab-logs}
WORK_DIR=""
CURRENT_STEP="starting"
STARTED_PIDS=()
WATCH_PID=""
CAPTURE_PID=""
SMBD_PID=""
CAPTURE_MAX_BYTES=204800

# shellcheck source=scripts/lab/techniques.sh
. "$LAB_DIR/techniques.sh"

log() {
    printf 'lab: %s\n' "$*" >&2
}

fail() {
    log "step failed: $CURRENT_STEP: $*"
    exit 1
}

step() {
    CURRENT_STEP=$1
    log "$CURRENT_STEP"
}

# Runs a command in the attacker namespace.
in_attacker() {
    ip netns exec "$NS_ATTACKER" "$@"
}

# Runs a command in the server namespace.
in_server() {
    ip netns exec "$NS_SERVER" "$@"
}

# Starts a daemon in the server namespace in its own session, because smbd
# signals its whole process group on shutdown, and records its pid.
start_daemon() {
    local name=$1
    shift
    ip netns exec "$NS_SERVER" setsid "$@" >"$LOG_DIR/$name.log" 2>&1 &
    STARTED_PIDS+=("$!")
    log "started $name (pid $!)"
}

# Sends SIGTERM to a process and its session, then SIGKILL after 5 seconds.
stop_process() {
    local pid=$1
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

# Ends every process in namespace ns. The namespace is the lab's own, so each
# pid listed there was started by this lab (daemons fork helpers).
stop_namespace_processes() {
    local ns=$1 pid
    ip netns list 2>/dev/null | grep -qw "$ns" || return 0
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
    done
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    if [ -n "$CAPTURE_PID" ]; then
        stop_process "$CAPTURE_PID"
    fi
    if [ -n "$WATCH_PID" ]; then
        stop_process "$WATCH_PID"
    fi
    local i
    for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
        stop_process "${STARTED_PIDS[$i]}"
    done
    stop_namespace_processes "$NS_ATTACKER"
    stop_namespace_processes "$NS_SERVER"
    ip netns del "$NS_ATTACKER" 2>/dev/null
    ip netns del "$NS_SERVER" 2>/dev/null
    if [ -n "$WORK_DIR" ] && [ -d "$WORK_DIR" ]; then
        rm -rf "$WORK_DIR"
    fi
    if [ $status -ne 0 ]; then
        log "failed (exit $status) during: $CURRENT_STEP. Daemon and tool logs are in $LOG_DIR"
    else
        log "done; namespaces and processes removed"
    fi
    exit $status
}

usage() {
    sed -n '6,15p' "$0" | sed 's/^# \{0,1\}//'
}

check_requirements() {
    step "checking for root"
    [ "$(id -u)" -eq 0 ] || fail "must run as root (network namespaces and tcpdump need it)"
    step "installing missing Debian packages with scripts/install-deps.sh"
    "$REPO_DIR/scripts/install-deps.sh" ||
        fail "package installation failed; see /tmp/wireaudit-apt-install.log"
    step "checking the tools"
    local tool
    for tool in ip tcpdump smbd smbclient net pdbedit "$PYTHON" "$SAMBA_LIBEXEC/samba-dcerpcd"; do
        command -v "$tool" >/dev/null 2>&1 || fail "$tool not found; run scripts/install-deps.sh"
    done
    "$PYTHON" -c 'import impacket' 2>/dev/null ||
        fail "$PYTHON has no impacket module; install python3-impacket"
    [ -d "$IMPACKET_EXAMPLES" ] || fail "$IMPACKET_EXAMPLES not found; install python3-impacket"
}

create_namespaces() {
    step "creating namespaces $NS_SERVER and $NS_ATTACKER"
    ip netns add "$NS_SERVER" ||
        fail "ip netns add $NS_SERVER failed; the lab needs CAP_SYS_ADMIN and network namespace support"
    ip netns add "$NS_ATTACKER" || fail "ip netns add $NS_ATTACKER failed"
    ip link add "$VETH_SERVER" netns "$NS_SERVER" type veth peer name "$VETH_ATTACKER" \
        netns "$NS_ATTACKER" || fail "creating veth pair $VETH_SERVER/$VETH_ATTACKER failed"
    local ns
    for ns in "$NS_SERVER" "$NS_ATTACKER"; do
        # IPv6 off so the captures carry only the lab's IPv4 traffic (no router
        # solicitations). A kernel without IPv6 has nothing to turn off.
        ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1 || true
        ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
        ip -n "$ns" link set lo up
    done
    ip -n "$NS_SERVER" addr add "$SERVER_ADDR/24" dev "$VETH_SERVER"
    ip -n "$NS_ATTACKER" addr add "$ATTACKER_ADDR/24" dev "$VETH_ATTACKER"
    ip -n "$NS_SERVER" link set "$VETH_SERVER" up
    ip -n "$NS_ATTACKER" link set "$VETH_ATTACKER" up
    # Offloads off so tcpdump records segments as sent, not merged by GRO, and
    # with TCP checksums computed: with tx offload on, veth leaves them unfilled.
    if command -v ethtool >/dev/null 2>&1; then
        in_server ethtool -K "$VETH_SERVER" tx off rx off gro off gso off tso off >/dev/null 2>&1 || true
        in_attacker ethtool -K "$VETH_ATTACKER" tx off rx off gro off gso off tso off >/dev/null 2>&1 || true
    fi
}

# Aborts unless every IPv4 and IPv6 route in the attacker namespace is the
# veth subnet, so no lab packet can leave the pair.
check_routes() {
    step "checking that no route in $NS_ATTACKER leaves the veth pair"
    local routes unexpected
    routes=$(ip -n "$NS_ATTACKER" -4 route show table all | grep -v '^local \|^broadcast ' || true)
    unexpected=$(printf '%s\n' "$routes" | grep -v "^$LAB_SUBNET dev $VETH_ATTACKER " | grep -v '^$' || true)
    [ -z "$unexpected" ] || fail "unexpected IPv4 route in $NS_ATTACKER: $unexpected"
    printf '%s\n' "$routes" | grep -q "^$LAB_SUBNET dev $VETH_ATTACKER " ||
        fail "route for $LAB_SUBNET on $VETH_ATTACKER missing in $NS_ATTACKER"
    unexpected=$(ip -n "$NS_ATTACKER" -6 route show 2>/dev/null | grep -v '^$' || true)
    [ -z "$unexpected" ] || fail "unexpected IPv6 route in $NS_ATTACKER: $unexpected"
}

# Writes smb.conf for encryption mode encrypt ("off" or "required").
write_samba_config() {
    local encrypt=$1
    cat >"$WORK_DIR/smb.conf" <<EOF
[global]
    netbios name = $SERVER_NAME
    workgroup = $LAB_DOMAIN
    server role = standalone server
    security = user
    passdb backend = tdbsam:$WORK_DIR/private/passdb.tdb
    private dir = $WORK_DIR/private
    lock directory = $WORK_DIR/lock
    state directory = $WORK_DIR/state
    cache directory = $WORK_DIR/cache
    pid directory = $WORK_DIR/run
    ncalrpc dir = $WORK_DIR/ncalrpc
    binddns dir = $WORK_DIR/binddns
    log file = $LOG_DIR/samba-%m.log
    max log size = 1000
    log level = ${LAB_SAMBA_LOG_LEVEL:-1}
    interfaces = $VETH_SERVER lo
    bind interfaces only = yes
    smb ports = 445
    disable netbios = yes
    server min protocol = SMB2_02
    server smb encrypt = $encrypt
    # Local "Administrator" is the Unix root account, so no user is added to the host.
    username map = $WORK_DIR/users.map
    rpc start on demand helpers = no
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
    kernel oplocks = no
    registry shares = no

# ADMIN$ and C$ come first and are listed by NetrShareEnum, as on Windows,
# so psexec.py picks ADMIN$ as its first writable share.
[ADMIN\$]
    path = $WORK_DIR/share/c/Windows
    read only = no

[C\$]
    path = $WORK_DIR/share/c
    read only = no

[Public]
    path = $WORK_DIR/share/public
    read only = no
EOF
    cat >"$WORK_DIR/client.conf" <<EOF
[global]
    workgroup = $LAB_DOMAIN
    client min protocol = SMB2_02
    log level = ${LAB_SAMBA_LOG_LEVEL:-1}
EOF
}

prepare_samba() {
    step "writing the Samba configuration and the $LAB_USER account"
    mkdir -p "$WORK_DIR"/{private,lock,state,cache,run,ncalrpc,binddns}
    mkdir -p "$WORK_DIR"/share/c/Windows/{Temp,System32} "$WORK_DIR/share/c/Users/Public" \
        "$WORK_DIR/share/public"
    chmod 700 "$WORK_DIR/private"
    printf 'root = %s\n' "$LAB_USER" >"$WORK_DIR/users.map"
    write_samba_config off
    printf '%s\n%s\n' "$LAB_PASSWORD" "$LAB_PASSWORD" |
        pdbedit -s "$WORK_DIR/smb.conf" -t -a -u root >"$LOG_DIR/pdbedit.log" 2>&1 ||
        fail "pdbedit could not add the account; see $LOG_DIR/pdbedit.log"
    # Keys that the registry techniques open: Samba's registry starts with
    # only a few of the Windows keys.
    local key
    for key in 'HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run' 'HKLM\SAM\SAM' \
        'HKLM\SECURITY\Policy' 'HKLM\SYSTEM\CurrentControlSet\Control\Lsa\JD' \
        'HKLM\SYSTEM\CurrentControlSet\Control\Lsa\Skew1' \
        'HKLM\SYSTEM\CurrentControlSet\Control\Lsa\GBG' \
        'HKLM\SYSTEM\CurrentControlSet\Control\Lsa\Data'; do
        net -s "$WORK_DIR/smb.conf" registry createkey "$key" >>"$LOG_DIR/registry.log" 2>&1 ||
            fail "net registry createkey $key failed; see $LOG_DIR/registry.log"
    done
}

# Waits until TCP port accepts connections on the server address.
wait_for_port() {
    local port=$1 name=$2
    for _ in $(seq 100); do
        if in_attacker bash -c "exec 3<>/dev/tcp/$SERVER_ADDR/$port" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    fail "$name is not listening on $SERVER_ADDR:$port after 10 s; see $LOG_DIR/$name.log"
}

start_servers() {
    step "starting samba-dcerpcd, smbd and the RPC responder in $NS_SERVER"
    start_daemon samba-dcerpcd "$SAMBA_LIBEXEC/samba-dcerpcd" -F --libexec-rpcds \
        --configfile="$WORK_DIR/smb.conf" --debug-stdout --no-process-group
    start_daemon smbd smbd -F --configfile="$WORK_DIR/smb.conf" --debug-stdout --no-process-group
    SMBD_PID=${STARTED_PIDS[-1]}
    wait_for_port 135 samba-dcerpcd
    wait_for_port 445 smbd
    # The responder replaces some of samba-dcerpcd's pipe sockets, so it starts
    # after samba-dcerpcd has created them.
    for _ in $(seq 100); do
        [ -S "$WORK_DIR/ncalrpc/np/svcctl" ] && break
        sleep 0.1
    done
    # -B: no __pycache__ directories in the source tree.
    start_daemon rpc-responder "$PYTHON" -B "$LAB_DIR/rpc-responder.py" \
        --socket-dir "$WORK_DIR/ncalrpc/np" --share-root "$WORK_DIR/share/c" \
        --ready-file "$WORK_DIR/responder-ready" --password "$LAB_PASSWORD" \
        --server-name "$SERVER_NAME" --domain "$LAB_DOMAIN"
    for _ in $(seq 100); do
        [ -e "$WORK_DIR/responder-ready" ] && return 0
        sleep 0.1
    done
    fail "rpc-responder did not become ready; see $LOG_DIR/rpc-responder.log"
}

restart_smbd_with_encryption() {
    step "restarting smbd with SMB3 encryption required"
    stop_process "$SMBD_PID"
    write_samba_config required
    start_daemon smbd-encrypted smbd -F --configfile="$WORK_DIR/smb.conf" --debug-stdout --no-process-group
    wait_for_port 445 smbd-encrypted
}

start_capture() {
    local file=$1
    rm -f "$file"
    ip netns exec "$NS_SERVER" setsid tcpdump -i "$VETH_SERVER" -s 0 -U -n -Z root --immediate-mode \
        -w "$file" "ip and host $SERVER_ADDR" >"$LOG_DIR/tcpdump.log" 2>&1 &
    CAPTURE_PID=$!
    for _ in $(seq 50); do
        grep -q 'listening on' "$LOG_DIR/tcpdump.log" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "tcpdump did not start on $VETH_SERVER; see $LOG_DIR/tcpdump.log"
}

stop_capture() {
    # Lets the last FIN/ACK exchange reach the capture before it stops.
    sleep 0.5
    kill -INT "$CAPTURE_PID" 2>/dev/null || true
    wait "$CAPTURE_PID" 2>/dev/null || true
    CAPTURE_PID=""
}

# Lists the random names that Impacket's tools printed in log as
# "<name><TAB><placeholder>" lines in names_file, for project-events.py.
# Writes no file when the tool printed none.
write_random_names() {
    local log=$1 names_file=$2
    rm -f "$names_file"
    sed -n -e 's/.*Uploading file \([A-Za-z]*\)\.exe.*/\1\tBINARY/p' \
        -e 's/.*Creating service \([A-Za-z]*\) on .*/\1\tSERVICE/p' \
        -e 's/.*Creating task \\\([A-Za-z]*\)$/\1\tTASK/p' "$log" >"$names_file.tmp"
    if [ -s "$names_file.tmp" ]; then
        mv "$names_file.tmp" "$names_file"
    else
        rm -f "$names_file.tmp"
    fi
}

run_technique() {
    local name=$1 file=$OUT_DIR/$1.pcap size
    step "technique $name"
    start_capture "$file"
    if ! "technique_${name//-/_}" >"$LOG_DIR/$name.log" 2>&1; then
        log "technique $name: the tool exited with an error; see $LOG_DIR/$name.log"
    fi
    stop_capture
    write_random_names "$LOG_DIR/$name.log" "$OUT_DIR/$name.names"
    size=$(stat -c %s "$file")
    log "wrote $file ($size bytes)"
    [ "$size" -le "$CAPTURE_MAX_BYTES" ] || fail "$file is $size bytes, over the $CAPTURE_MAX_BYTES byte limit"
}

main() {
    local opt
    while getopts "o:w:lh" opt; do
        case $opt in
        o) OUT_DIR=$OPTARG ;;
        w) WATCH_COMMAND=$OPTARG ;;
        l) printf '%s\n' "${LAB_TECHNIQUES[@]}"; exit 0 ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
    done
    shift $((OPTIND - 1))
    local requested=("$@") selected=() name
    [ ${#requested[@]} -gt 0 ] || requested=("${LAB_TECHNIQUES[@]}")
    for name in "${requested[@]}"; do
        declare -F "technique_${name//-/_}" >/dev/null || {
            log "unknown technique: $name (list them with -l)"
            exit 2
        }
    done
    # Techniques run in the order of LAB_TECHNIQUES whatever the order
    # requested, so encrypted-session-smb311 (which restarts smbd with
    # encryption required) always runs last.
    for name in "${LAB_TECHNIQUES[@]}"; do
        if printf '%s\n' "${requested[@]}" | grep -qx -- "$name"; then
            selected+=("$name")
        fi
    done

    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    check_requirements
    mkdir -p "$OUT_DIR" "$LOG_DIR" || fail "cannot create $OUT_DIR or $LOG_DIR"
    OUT_DIR=$(cd "$OUT_DIR" && pwd)
    WORK_DIR=$(mktemp -d "/tmp/wa-lab-$LAB_ID.XXXXXX") || fail "mktemp could not create a work directory in /tmp"
    chmod 755 "$WORK_DIR"
    create_namespaces
    check_routes
    prepare_samba
    start_servers
    if [ -n "$WATCH_COMMAND" ]; then
        step "starting the watcher in $NS_SERVER"
        LAB_IFACE=$VETH_SERVER ip netns exec "$NS_SERVER" setsid sh -c "$WATCH_COMMAND" \
            >"$LOG_DIR/watcher.log" 2>&1 &
        WATCH_PID=$!
        sleep 2
        kill -0 "$WATCH_PID" 2>/dev/null || fail "watcher exited at start; see $LOG_DIR/watcher.log"
    fi
    for name in "${selected[@]}"; do
        if [ "$name" = encrypted-session-smb311 ]; then
            restart_smbd_with_encryption
        fi
        run_technique "$name"
    done
    if [ -n "$WATCH_PID" ]; then
        step "stopping the watcher with SIGINT"
        kill -INT -- "-$WATCH_PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$WATCH_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$WATCH_PID" 2>/dev/null; then
            log "watcher still running 10 s after SIGINT; sending SIGTERM"
            stop_process "$WATCH_PID"
        fi
        wait "$WATCH_PID" 2>/dev/null || true
        WATCH_PID=""
    fi
}

main "$@"
