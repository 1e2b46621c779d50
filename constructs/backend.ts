import { Construct } from 'constructs';
import type { ManifestBackend } from '../contract/manifest';
import type { ValidationIssue } from './errors';
import { LocalBackend, S3Backend, TerraformStack } from './cdktf';
import { CURRENT_STATE_KEY_LAYOUT, stackStateKey } from './naming';
import type { StateKeyLayoutVersion, StatePlacement } from '../contract/ci-names';

/**
 * How an S3 backend forms each stack's state key (contract/ci-names.ts `stackStateKey`).
 * `GATE_AND_SERVER` (layout 2, the default) puts the stack's gating tier and server in its key, so a
 * retired-stack entry claiming another tier or server names an empty key, never the real state.
 * `STACK_NAME` (layout 1) is what estates synthesized before layouts have in their bucket: keep it
 * only until `tierkit state migrate` moved the state (TK016 reports it).
 */
export class StateKeyLayout {
  /** Layout 1: `<keyPrefix>/<stack>.tfstate`. */
  static readonly STACK_NAME = new StateKeyLayout(1);
  /** Layout 2: `<keyPrefix>/<gatingTier>/servers/<server>/<stack>.tfstate`, `<keyPrefix>/<gatingTier>/platform/<stack>.tfstate`. */
  static readonly GATE_AND_SERVER = new StateKeyLayout(2);
  private constructor(readonly version: StateKeyLayoutVersion) {}
}

/** Props of `Backend.s3`. */
export interface S3BackendProps {
  readonly bucket: string;
  readonly region: string;
  /** Every key starts with it (naming.stackStateKey). @default 'tierkit' */
  readonly keyPrefix?: string;
  /**
   * How each stack's key is formed. An estate whose state sits under layout-1 keys keeps
   * `StateKeyLayout.STACK_NAME` until `tierkit state migrate` moved it.
   * @default StateKeyLayout.GATE_AND_SERVER
   */
  readonly stateKeyLayout?: StateKeyLayout;
  /**
   * The 12-digit AWS account of the bucket and of GitHub's OIDC provider there: the Terraform state
   * identities (dist/ci/state-access.json) are roles of this account, and the workflows assume them.
   * @default - none: the state identities cannot name their trust, and TK093 reports it
   */
  readonly accountId?: string;
}

/** What a backend writes into a stack rendered without cdktf (synth/terraform-app-environment-plain.ts). */
export interface PlainBackend {
  /** `//.metadata.backend` */
  readonly name: string;
  /** `terraform.backend.<name>` */
  readonly config: Readonly<Record<string, string | number | boolean>>;
  /** Whether the backend added a stack-level override (cdktf then lists `terraform` in the metadata). */
  readonly stackOverride: boolean;
}

/**
 * Where Terraform keeps each stack's state. Always declared: cdktf's implicit local backend
 * writes an absolute path (the cwd) into every stack, which breaks byte-identical output.
 */
export abstract class Backend {
  /** A relative `terraform.tfstate` beside each stack: fine for a laptop, not for CI. */
  static local(): Backend {
    return new (class extends Backend {
      attach(stack: Construct): void {
        new LocalBackend(stack, { path: 'terraform.tfstate' });
      }
      describe(): ManifestBackend {
        return { type: 'local' };
      }

      plain(): PlainBackend {
        return { name: 'local', config: { path: 'terraform.tfstate' }, stackOverride: false };
      }
    })();
  }

  /** One S3 object per stack (naming.stackStateKey), encrypted, locked with S3 lock files. */
  static s3(props: S3BackendProps): Backend {
    const prefix = props.keyPrefix ?? 'tierkit';
    const layout = (props.stateKeyLayout ?? StateKeyLayout.GATE_AND_SERVER).version;
    // Never thrown here: validation.ts reports these with every other problem of the estate, and synth writes nothing before.
    const problems: BackendProblem[] = [];
    if (layout !== 1 && layout !== CURRENT_STATE_KEY_LAYOUT) {
      problems.push({ property: 'stateKeyLayout', value: layout, message: 'is not a StateKeyLayout', fix: 'use StateKeyLayout.GATE_AND_SERVER (or StateKeyLayout.STACK_NAME until `tierkit state migrate` moved the state)' });
    }
    const keyOf = (stackName: string, placement: Omit<StatePlacement, 'stack'> | undefined): string => {
      if (layout === 1) return stackStateKey(prefix, 1, { stack: stackName, gatingTier: '' });
      // Synth always passes the placement; a caller that does not cannot be given a key that names no gate.
      if (!placement) throw new Error(`Backend.s3: stack ${stackName} has no gating tier to form its state key (layout ${layout})`);
      return stackStateKey(prefix, layout, { stack: stackName, ...placement });
    };
    // The state identities grant `arn:aws:s3:::<bucket>/<keyPrefix>/…/<stack>.tfstate`: a wildcard or an
    // odd character here would widen every grant (IAM reads `*` and `?` in a resource as patterns).
    if (typeof props.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.bucket)) {
      problems.push({ property: 'bucket', value: props.bucket, message: 'is not an S3 bucket name (lower-case letters, digits, dots, hyphens; 3–63 characters)', fix: 'name the state bucket as S3 spells it, e.g. bucket: \'acme-tfstate\'' });
    }
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(prefix)) {
      problems.push({ property: 'keyPrefix', value: prefix, message: 'must be path segments of letters, digits, \'.\', \'_\' and \'-\' (no wildcard, no leading or trailing \'/\')', fix: 'use a plain prefix, e.g. keyPrefix: \'estate\'' });
    }
    if (props.accountId !== undefined && (typeof props.accountId !== 'string' || !/^[0-9]{12}$/.test(props.accountId))) {
      problems.push({ property: 'accountId', value: props.accountId, message: 'is not a 12-digit AWS account id', fix: 'pass the account of the state bucket, e.g. accountId: \'123456789012\'' });
    }
    return new (class extends Backend {
      issues(path: string): ValidationIssue[] {
        return problems.map((p) => ({ path, property: `backend.${p.property}`, value: p.value, message: p.message, fix: p.fix }));
      }

      attach(stack: Construct, stackName: string, placement?: Omit<StatePlacement, 'stack'>): void {
        new S3Backend(stack, { bucket: props.bucket, region: props.region, key: keyOf(stackName, placement), encrypt: true });
        // S3-native locking (Terraform 1.10+); cdktf 0.21's S3BackendConfig predates the flag.
        (stack as TerraformStack).addOverride('terraform.backend.s3.use_lockfile', true);
      }

      plain(stackName: string, placement?: Omit<StatePlacement, 'stack'>): PlainBackend {
        return {
          name: 's3', stackOverride: true,
          config: { bucket: props.bucket, encrypt: true, key: keyOf(stackName, placement), region: props.region, use_lockfile: true },
        };
      }

      describe(): ManifestBackend {
        return { type: 's3', bucket: props.bucket, region: props.region, keyPrefix: prefix, ...(props.accountId ? { accountId: props.accountId } : {}), stateKeyLayout: layout };
      }
    })();
  }

  /** `placement`: the stack's gating tier and, for an app-environment stack, its server (state key layout 2). */
  abstract attach(stack: Construct, stackName: string, placement?: Omit<StatePlacement, 'stack'>): void;

  /**
   * What `attach` writes, for stacks rendered without cdktf (terraform-app-environment-plain.ts).
   * A backend without one (a subclass of the caller's) makes those stacks go through cdktf.
   * @internal
   */
  plain(_stackName: string, _placement?: Omit<StatePlacement, 'stack'>): PlainBackend | undefined {
    return undefined;
  }
  /** What the manifest records (`estate.backend`): the state identities and TK092 derive from it. */
  abstract describe(): ManifestBackend;

  /**
   * What is wrong with the backend's props, as issues of the estate at `path` (validation.ts).
   * @internal
   */
  issues(_path: string): ValidationIssue[] {
    return [];
  }
}

/** One problem of a backend's props, before it is placed on the estate. */
interface BackendProblem {
  readonly property: string;
  readonly value: unknown;
  readonly message: string;
  readonly fix: string;
}
