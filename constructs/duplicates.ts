import { Construct } from 'constructs';
import { TierkitValidationError } from './errors';

/** Construct ids are names here; a duplicate gets our error shape, not the constructs library's. */
export function refuseDuplicate(scope: Construct, id: string, property: string, fix: string): void {
  if (!scope.node.tryFindChild(id)) return;
  const root = scope.node.root as Construct & { estateName?: string };
  const path = [root.estateName ?? '', scope.node.path].filter(Boolean).join('/');
  throw new TierkitValidationError([{ path, property, value: id, message: `duplicate ${property} "${id}"`, fix }]);
}
