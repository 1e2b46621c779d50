import { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformStack } from './cdktf';

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
    })();
  }

  abstract attach(stack: Construct, stackName: string): void;
}
