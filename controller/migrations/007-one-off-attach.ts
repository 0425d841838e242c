/** Issue #9: a one-off may be attached (`paas run` with the user's terminal), not only detached. */
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.addColumn('one_off_requests', 'attach', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
}

export async function down({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.removeColumn('one_off_requests', 'attach');
}
