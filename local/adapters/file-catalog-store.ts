import type { CatalogStore } from '../../lambdas/shared/ports';
import { requireCatalogFile } from '../../lib/catalog/load';
import type { Catalog } from '../../lib/catalog/types';

/** The catalog file itself, re-read on every load so an edit applies to the next release. */
export class FileCatalogStore implements CatalogStore {
  constructor(private readonly file: string) {}

  async load(): Promise<Catalog> {
    return requireCatalogFile(this.file);
  }
}
