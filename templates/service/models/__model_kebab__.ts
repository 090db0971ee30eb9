import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

/** One __model_words__ of the __name__ service. */
export class __Model__ extends Model<InferAttributes<__Model__>, InferCreationAttributes<__Model__>> {
  declare id: CreationOptional<string>;
  // __MODEL_DECLARES__
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export type __Model__Model = typeof __Model__;

export function define__Model__(sequelize: Sequelize): __Model__Model {
  // A subclass per connection, so several databases can be open in one process (tests).
  class Bound__Model__ extends __Model__ {}
  Bound__Model__.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      // __MODEL_COLUMNS__
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, modelName: '__Model__', tableName: '__table__', underscored: true },
  );
  return Bound__Model__;
}
