/**
 * The Pod Security Standards' Baseline and Restricted controls, as published at
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ (v1.32), as a pure function
 * of a pod template. Each control is judged on the fields the standard lists (pod, containers,
 * initContainers, ephemeralContainers); what does not have the expected shape fails the control,
 * since the admission controller would not be judging what we read.
 */

export type PssLevel = 'baseline' | 'restricted';

export interface PssViolation {
  readonly control: string;
  readonly level: PssLevel;
  /** JSON pointer relative to the pod template (`/spec/containers/0/securityContext/privileged`). */
  readonly pointer: string;
  readonly message: string;
}

export interface PodTemplate {
  readonly metadata?: Record<string, any>;
  readonly spec?: Record<string, any>;
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
const SELINUX_TYPES = new Set(['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

interface ContainerRef { readonly container: Record<string, any>; readonly pointer: string; readonly name: string }

function containersOf(spec: Record<string, any>): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const list of CONTAINER_LISTS) {
    const cs = spec[list];
    if (cs === undefined) continue;
    if (!Array.isArray(cs)) {
      out.push({ container: {}, pointer: `/spec/${list}`, name: `${list} (not a list)` });
      continue;
    }
    cs.forEach((c, i) => out.push({ container: typeof c === 'object' && c !== null ? c : {}, pointer: `/spec/${list}/${i}`, name: String(c?.name ?? `${list}[${i}]`) }));
  }
  return out;
}

/** Every violation of the Baseline and (with `restricted`) the Restricted profile. */
export function podSecurityViolations(pod: PodTemplate, level: PssLevel = 'restricted'): PssViolation[] {
  const out: PssViolation[] = [];
  const v = (control: string, lvl: PssLevel, pointer: string, message: string) => out.push({ control, level: lvl, pointer, message });
  const spec = pod.spec ?? {};
  const psc = spec.securityContext ?? {};
  const containers = containersOf(spec);
  const csc = (c: ContainerRef) => c.container.securityContext ?? {};

  // --- Baseline ---
  if (psc.windowsOptions?.hostProcess !== undefined && psc.windowsOptions.hostProcess !== false) {
    v('HostProcess', 'baseline', '/spec/securityContext/windowsOptions/hostProcess', 'the pod runs as a Windows HostProcess');
  }
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[ns] !== undefined && spec[ns] !== false) v('Host Namespaces', 'baseline', `/spec/${ns}`, `${ns} shares the node's namespace`);
  }
  for (const c of containers) {
    const sc = csc(c);
    if (sc.windowsOptions?.hostProcess !== undefined && sc.windowsOptions.hostProcess !== false) {
      v('HostProcess', 'baseline', `${c.pointer}/securityContext/windowsOptions/hostProcess`, `container ${c.name} runs as a Windows HostProcess`);
    }
    if (sc.privileged !== undefined && sc.privileged !== false) v('Privileged Containers', 'baseline', `${c.pointer}/securityContext/privileged`, `container ${c.name} is privileged`);
    const added: unknown[] = Array.isArray(sc.capabilities?.add) ? sc.capabilities.add : sc.capabilities?.add === undefined ? [] : ['(not a list)'];
    for (const cap of added) {
      if (!BASELINE_CAPABILITIES.has(String(cap))) v('Capabilities', 'baseline', `${c.pointer}/securityContext/capabilities/add`, `container ${c.name} adds ${String(cap)}`);
    }
    const ports: unknown = c.container.ports;
    if (Array.isArray(ports)) {
      ports.forEach((p: any, i) => {
        if (p?.hostPort !== undefined && p.hostPort !== 0) v('Host Ports', 'baseline', `${c.pointer}/ports/${i}/hostPort`, `container ${c.name} binds node port ${p.hostPort}`);
      });
    }
    const apparmor = sc.appArmorProfile?.type;
    if (apparmor !== undefined && apparmor !== 'RuntimeDefault' && apparmor !== 'Localhost') {
      v('AppArmor', 'baseline', `${c.pointer}/securityContext/appArmorProfile/type`, `container ${c.name} sets AppArmor ${apparmor}`);
    }
    seLinux(sc.seLinuxOptions, `${c.pointer}/securityContext/seLinuxOptions`, `container ${c.name}`, v);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v('/proc Mount Type', 'baseline', `${c.pointer}/securityContext/procMount`, `container ${c.name} sets procMount ${sc.procMount}`);
    if (sc.seccompProfile?.type === 'Unconfined') v('Seccomp', 'baseline', `${c.pointer}/securityContext/seccompProfile/type`, `container ${c.name} runs Unconfined`);
  }
  const volumes: unknown[] = Array.isArray(spec.volumes) ? spec.volumes : [];
  volumes.forEach((vol: any, i) => {
    if (vol?.hostPath !== undefined) v('HostPath Volumes', 'baseline', `/spec/volumes/${i}/hostPath`, `volume ${vol?.name} mounts a path of the node`);
  });
  const podAppArmor = psc.appArmorProfile?.type;
  if (podAppArmor !== undefined && podAppArmor !== 'RuntimeDefault' && podAppArmor !== 'Localhost') {
    v('AppArmor', 'baseline', '/spec/securityContext/appArmorProfile/type', `the pod sets AppArmor ${podAppArmor}`);
  }
  // Keys, not entries: no pair allocated per annotation of every template (the values are read as entries() would).
  const annotations: Record<string, unknown> = pod.metadata?.annotations ?? {};
  for (const key of Object.keys(annotations)) {
    const value = annotations[key];
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'runtime/default' && !String(value).startsWith('localhost/')) {
      v('AppArmor', 'baseline', `/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, `annotation ${key} is ${String(value)}`);
    }
  }
  seLinux(psc.seLinuxOptions, '/spec/securityContext/seLinuxOptions', 'the pod', v);
  if (psc.seccompProfile?.type === 'Unconfined') v('Seccomp', 'baseline', '/spec/securityContext/seccompProfile/type', 'the pod runs Unconfined');
  const sysctls: unknown[] = Array.isArray(psc.sysctls) ? psc.sysctls : [];
  sysctls.forEach((s: any, i) => {
    if (!SAFE_SYSCTLS.has(String(s?.name))) v('Sysctls', 'baseline', `/spec/securityContext/sysctls/${i}`, `sysctl ${String(s?.name)} is not in the safe set`);
  });
  if (level === 'baseline') return out;

  // --- Restricted ---
  volumes.forEach((vol: any, i) => {
    // Judged on the keys, the list of types built only for a violation (~16,000 volumes at 100×, injected ones included).
    const keys = Object.keys(vol ?? {});
    let types = 0;
    let bad = false;
    for (const k of keys) {
      if (k === 'name') continue;
      types++;
      if (!RESTRICTED_VOLUME_TYPES.has(k)) bad = true;
    }
    if (bad || types === 0) v('Volume Types', 'restricted', `/spec/volumes/${i}`, `volume ${vol?.name} is of type ${keys.filter((k) => k !== 'name').join(', ') || '(none)'}`);
  });
  if (psc.runAsNonRoot === false) v('Running as Non-root', 'restricted', '/spec/securityContext/runAsNonRoot', 'the pod sets runAsNonRoot false');
  if (psc.runAsUser === 0) v('Running as Non-root user', 'restricted', '/spec/securityContext/runAsUser', 'the pod runs as UID 0');
  const podSeccomp = psc.seccompProfile?.type;
  const podSeccompOk = podSeccomp === 'RuntimeDefault' || podSeccomp === 'Localhost';
  for (const c of containers) {
    const sc = csc(c);
    if (sc.allowPrivilegeEscalation !== false) {
      v('Privilege Escalation', 'restricted', `${c.pointer}/securityContext/allowPrivilegeEscalation`, `container ${c.name} does not set allowPrivilegeEscalation false`);
    }
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true)) {
      v('Running as Non-root', 'restricted', `${c.pointer}/securityContext/runAsNonRoot`, `container ${c.name} may run as root (runAsNonRoot is not true on it or the pod)`);
    }
    if (sc.runAsUser === 0) v('Running as Non-root user', 'restricted', `${c.pointer}/securityContext/runAsUser`, `container ${c.name} runs as UID 0`);
    const t = sc.seccompProfile?.type;
    if (t !== undefined ? t !== 'RuntimeDefault' && t !== 'Localhost' : !podSeccompOk) {
      v('Seccomp', 'restricted', `${c.pointer}/securityContext/seccompProfile`, `container ${c.name} has no RuntimeDefault or Localhost seccomp profile (on it or the pod)`);
    }
    const drop: unknown = sc.capabilities?.drop;
    if (!Array.isArray(drop) || !drop.includes('ALL')) v('Capabilities', 'restricted', `${c.pointer}/securityContext/capabilities/drop`, `container ${c.name} does not drop ALL capabilities`);
    const add: unknown = sc.capabilities?.add;
    if (add !== undefined && (!Array.isArray(add) || add.some((a) => a !== 'NET_BIND_SERVICE'))) {
      v('Capabilities', 'restricted', `${c.pointer}/securityContext/capabilities/add`, `container ${c.name} adds capabilities other than NET_BIND_SERVICE`);
    }
  }
  return out;
}

function seLinux(opts: any, pointer: string, who: string, v: (control: string, lvl: PssLevel, pointer: string, message: string) => void): void {
  if (opts === undefined) return;
  if (opts.type !== undefined && !SELINUX_TYPES.has(opts.type)) v('SELinux', 'baseline', `${pointer}/type`, `${who} sets SELinux type ${opts.type}`);
  for (const f of ['user', 'role']) if (opts[f] !== undefined) v('SELinux', 'baseline', `${pointer}/${f}`, `${who} sets SELinux ${f} ${opts[f]}`);
}
