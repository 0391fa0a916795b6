import { requireCatalogFile } from '../../lambdas/core/catalog/load';
import type { Catalog } from '../../lambdas/core/catalog/types';
import type { CatalogStore } from '../../lambdas/core/ports';

/** The catalog file itself, re-read on every load so an edit applies to the next release. */
export class FileCatalogStore implements CatalogStore {
  constructor(private readonly file: string) {}

  async load(): Promise<Catalog> {
    return requireCatalogFile(this.file);
  }
}
