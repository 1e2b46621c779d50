import { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformStack } from './cdktf';
import type { PlainBackend } from './synth/terraform-app-environment-plain';

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

      plain(): PlainBackend {
        return { name: 'local', config: { path: 'terraform.tfstate' }, stackOverride: false };
      }
    })();
  }

  /** One S3 object per stack: `<keyPrefix>/<stack>.tfstate`, encrypted, locked with S3 lock files. */
  static s3(props: { readonly bucket: string; readonly region: string; readonly keyPrefix?: string }): Backend {
    const prefix = props.keyPrefix ?? 'tierkit';
    return new (class extends Backend {
      attach(stack: Construct, stackName: string): void {
        new S3Backend(stack, { bucket: props.bucket, region: props.region, key: `${prefix}/${stackName}.tfstate`, encrypt: true });
        // S3-native locking (Terraform 1.10+); cdktf 0.21's S3BackendConfig predates the flag.
        (stack as TerraformStack).addOverride('terraform.backend.s3.use_lockfile', true);
      }

      plain(stackName: string): PlainBackend {
        return {
          name: 's3', stackOverride: true,
          config: { bucket: props.bucket, encrypt: true, key: `${prefix}/${stackName}.tfstate`, region: props.region, use_lockfile: true },
        };
      }
    })();
  }

  abstract attach(stack: Construct, stackName: string): void;

  /**
   * What `attach` writes, for stacks rendered without cdktf (terraform-app-environment-plain.ts).
   * A backend without one (a subclass of the caller's) makes those stacks go through cdktf.
   * @internal
   */
  plain(_stackName: string): PlainBackend | undefined {
    return undefined;
  }
}
