import { catalog } from '../catalog.ts';
import { en } from '../en.ts';

export const ja = catalog({ ...en });
